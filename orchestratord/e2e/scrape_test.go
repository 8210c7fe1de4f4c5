package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Helpers of the observability tests: /metrics scrapes, promtool, streams
// followed while the test drives the daemon.

// scrape is one parsed /metrics exposition.
type scrape struct {
	raw      []byte
	families map[string]*dto.MetricFamily
}

// scrapeMetrics reads and parses /metrics.
func scrapeMetrics(t *testing.T, o *proc) scrape {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d %s", resp.StatusCode, raw)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, raw)
	}
	return scrape{raw: raw, families: fams}
}

// seriesKey renders a series as name{a="x",b="y"} with sorted labels.
func seriesKey(name string, m *dto.Metric) string {
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// counts maps every counter series of the orchd_ families to its value and
// every histogram series to its sample count (the key's name suffixed
// _count).
func (s scrape) counts() map[string]float64 {
	out := map[string]float64{}
	for name, mf := range s.families {
		if !strings.HasPrefix(name, "orchd_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[seriesKey(name, m)] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[seriesKey(name+"_count", m)] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// gauge is one gauge series' value, -1 when it is not exported.
func (s scrape) gauge(key string) float64 {
	for name, mf := range s.families {
		for _, m := range mf.GetMetric() {
			if mf.GetType() == dto.MetricType_GAUGE && seriesKey(name, m) == key {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// key renders a series key from a name and label pairs.
func key(name string, labels ...string) string {
	m := &dto.Metric{}
	for i := 0; i+1 < len(labels); i += 2 {
		m.Label = append(m.Label, &dto.LabelPair{Name: &labels[i], Value: &labels[i+1]})
	}
	return seriesKey(name, m)
}

// promtoolPath finds promtool: ORCHD_PROMTOOL, which `make test` always
// sets (installing promtool when missing), so under make a missing promtool
// fails the test; else promtool on PATH; else "" and the caller skips (a
// plain `go test` on a machine without promtool).
func promtoolPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ORCHD_PROMTOOL"); p != "" {
		return p
	}
	p, err := exec.LookPath("promtool")
	if err != nil {
		return ""
	}
	return p
}

// promtoolCheck runs `promtool check metrics` on raw and returns its
// findings; it fails the test when promtool cannot run.
func promtoolCheck(t *testing.T, path string, raw []byte) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// follower reads a task's stream in the background.
type follower struct {
	firstToken chan struct{} // closed at the first token frame
	done       chan struct{} // closed when the stream ended
	frames     []frame
	err        error
}

// follow starts reading a task's stream; it stops at the stream's end or
// the test's.
func follow(t *testing.T, o *proc, adm wire.AdmissionResponse) *follower {
	t.Helper()
	f := &follower{firstToken: make(chan struct{}), done: make(chan struct{})}
	ctx := t.Context()
	go func() {
		defer close(f.done)
		seen := false
		f.frames, f.err = sseFollow(ctx, o.URL+adm.Streams.SSE, func(fr frame) {
			if fr.Event == wire.EventToken && !seen {
				seen = true
				close(f.firstToken)
			}
		})
	}()
	return f
}

// sseFollow is sse with a callback per frame.
func sseFollow(ctx context.Context, url string, onFrame func(frame)) ([]frame, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readFrames(resp.Body, onFrame)
}

// waitFirstToken waits until the stream carried a token.
func (f *follower) waitFirstToken(t *testing.T) {
	t.Helper()
	select {
	case <-f.firstToken:
	case <-f.done:
		t.Fatalf("stream ended before a token: %v %v", f.err, f.frames)
	case <-time.After(20 * time.Second):
		t.Fatal("no token within 20 s")
	}
}

// end waits for the stream's end and returns its last frame and how many
// token frames it carried.
func (f *follower) end(t *testing.T) (last frame, tokens int) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		t.Fatal("stream did not end within 30 s")
	}
	if f.err != nil {
		t.Fatalf("stream: %v", f.err)
	}
	_, n := tokensOf(f.frames)
	return lastFrame(t, f.frames), n
}
