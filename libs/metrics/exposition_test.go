package metrics_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/matryer/is"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

func TestNewRegistryHasGoAndProcessCollectors(t *testing.T) {
	is := is.New(t)
	reg := metrics.NewRegistry()
	got := gather(t, reg)
	is.True(got["go_goroutines"] != nil)             // Go collector
	is.True(got["process_cpu_seconds_total"] != nil) // process collector
	_, err := metrics.New(reg)
	is.NoErr(err) // orchestrator series fit beside them
}

func TestExpositionParses(t *testing.T) {
	is := is.New(t)
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	is.NoErr(err) // registered
	exerciseAll(m)
	m.TaskCanceled("odd\"value") // an unknown value is recorded as other, never echoed

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(exposition(t, reg)))
	is.NoErr(err)                                                 // the text format parses
	is.True(families["orchd_first_token_latency_seconds"] != nil) // histograms included
	is.True(families["orchd_nodes_online"] != nil)                // gauges included
	is.True(families["go_goroutines"] != nil)                     // collectors included
}

// TestPromtoolCheckMetrics lints the exposition with promtool. `make test`
// names it in ORCHD_PROMTOOL (installing it when missing), and then the test
// fails when it cannot run it; a plain `go test` without promtool on PATH
// skips.
func TestPromtoolCheckMetrics(t *testing.T) {
	path := os.Getenv("ORCHD_PROMTOOL")
	if path == "" {
		var err error
		if path, err = exec.LookPath("promtool"); err != nil {
			t.Skip("promtool not on PATH and ORCHD_PROMTOOL not set (make test sets it)")
		}
	}
	is := is.New(t)
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	is.NoErr(err) // registered
	exerciseAll(m)

	cmd := exec.CommandContext(t.Context(), path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition(t, reg))
	out, err := cmd.CombinedOutput()
	is.NoErr(err)             // promtool check metrics passes
	is.Equal(string(out), "") // with no lint findings
}
