package metrics_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/matryer/is"
	dto "github.com/prometheus/client_model/go"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

// The operator documents in the repository's docs/ are built on these
// series: the Grafana dashboard and the example alert rules may name only
// series this package exports, and docs/operations.md describes every one.
const docsDir = "../../docs"

var seriesName = regexp.MustCompile(`\b(?:orchd|go|process)_[a-z_]+\b`)

// exported returns every family this package exports (with the collectors
// of NewRegistry) by name, with its type.
func exported(t *testing.T) map[string]dto.MetricType {
	t.Helper()
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	is.New(t).NoErr(err) // registered
	exerciseAll(m)
	out := map[string]dto.MetricType{}
	for name, mf := range gather(t, reg) {
		out[name] = mf.GetType()
	}
	return out
}

// unknownNames lists the series names in text that no exported family
// has; a histogram's _bucket, _sum and _count series count as its own.
func unknownNames(text string, families map[string]dto.MetricType) []string {
	seen := map[string]bool{}
	for _, name := range seriesName.FindAllString(text, -1) {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && families[b] == dto.MetricType_HISTOGRAM {
				base = b
			}
		}
		if _, ok := families[base]; !ok {
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(docsDir, name))
	is.New(t).NoErr(err) // the document exists
	return string(b)
}

func TestGrafanaDashboardUsesExportedSeries(t *testing.T) {
	is := is.New(t)
	families := exported(t)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	raw := readDoc(t, "grafana-orchestratord.json")
	is.NoErr(json.Unmarshal([]byte(raw), &dash)) // valid JSON
	is.Equal(dash.Title, "orchestratord")        // the dashboard
	var exprs []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	is.True(len(exprs) >= 20)                                               // panels with queries
	is.Equal(unknownNames(strings.Join(exprs, "\n"), families), []string{}) // every series it queries is exported
	for name := range families {
		if strings.HasPrefix(name, "orchd_") {
			is.True(strings.Contains(raw, name)) // and every orchd_ series has a panel
		}
	}
}

func TestAlertRulesUseExportedSeries(t *testing.T) {
	is := is.New(t)
	rules := readDoc(t, "orchestratord-alerts.yml")
	is.Equal(unknownNames(rules, exported(t)), []string{}) // every series a rule names is exported

	path := os.Getenv("ORCHD_PROMTOOL")
	if path == "" {
		var err error
		if path, err = exec.LookPath("promtool"); err != nil {
			t.Skip("promtool not on PATH and ORCHD_PROMTOOL not set (make test sets it)")
		}
	}
	out, err := exec.CommandContext(t.Context(), path, "check", "rules", filepath.Join(docsDir, "orchestratord-alerts.yml")).CombinedOutput()
	is.NoErr(err)                                     // promtool accepts the rules
	is.True(strings.Contains(string(out), "SUCCESS")) // and says so
}

func TestOperationsGuideDescribesEverySeries(t *testing.T) {
	is := is.New(t)
	guide := readDoc(t, "operations.md")
	for name := range exported(t) {
		if strings.HasPrefix(name, "orchd_") {
			is.True(strings.Contains(guide, "`"+name+"`")) // described in docs/operations.md
		}
	}
	is.Equal(unknownNames(guide, exported(t)), []string{}) // and it names no series that does not exist
}
