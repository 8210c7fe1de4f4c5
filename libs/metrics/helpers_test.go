package metrics_test

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

func newMetrics(t *testing.T) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	is.New(t).NoErr(err) // metrics registered
	return m, reg
}

// exerciseAll calls every helper once.
func exerciseAll(m *metrics.Metrics) {
	m.TaskEnqueued(metrics.EngineAny, metrics.PriorityInteractive)
	m.TaskStarted(metrics.EngineLlamaCPP, "p1", metrics.PriorityInteractive)
	m.TaskCanceled(metrics.CancelClient)
	m.TaskRejected(metrics.RejectAdmission)
	m.TaskCompleted(metrics.EngineLlamaCPP, "p1", metrics.OutcomeCompleted)
	m.BackpressureEvent(metrics.PolicyReject)
	m.SetQueueDepth(metrics.PriorityBatch, 3)
	m.SetActiveLeases("p1", 2)
	m.SetPoolReady("p1", true)
	m.SetPoolSlotsFree("p1", 1)
	m.SetModelState("org/model", metrics.ModelActive)
	m.NodeRegistration(metrics.NodeOK)
	m.NodeHeartbeat(metrics.NodeOK)
	m.SetNodesOnline(4)
	m.TokensOut(metrics.EngineLlamaCPP, "p1", 10)
	m.ObserveFirstToken(metrics.EngineLlamaCPP, "p1", metrics.PriorityInteractive, 120*time.Millisecond)
	m.ObserveDecode(metrics.EngineLlamaCPP, "p1", 3*time.Second)
	m.ObserveQueueWait(metrics.PriorityInteractive, 15*time.Millisecond)
}

func gather(t *testing.T, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	is.New(t).NoErr(err) // gather
	out := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// labelKey renders a metric's labels as "a=x,b=y" (sorted by name).
func labelKey(m *dto.Metric) string {
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// find returns the metric of family name with exactly the labels of key, or
// nil.
func find(t *testing.T, g prometheus.Gatherer, name, key string) *dto.Metric {
	t.Helper()
	mf := gather(t, g)[name]
	if mf == nil {
		return nil
	}
	i := slices.IndexFunc(mf.GetMetric(), func(m *dto.Metric) bool { return labelKey(m) == key })
	if i < 0 {
		return nil
	}
	return mf.GetMetric()[i]
}

// value returns the value of a counter or gauge series, -1 when missing.
func value(t *testing.T, g prometheus.Gatherer, name, key string) float64 {
	t.Helper()
	m := find(t, g, name, key)
	switch {
	case m == nil:
		return -1
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	default:
		return m.GetGauge().GetValue()
	}
}

// keys lists the label keys of every series of a family.
func keys(t *testing.T, g prometheus.Gatherer, name string) []string {
	t.Helper()
	var out []string
	for _, m := range gather(t, g)[name].GetMetric() {
		out = append(out, labelKey(m))
	}
	sort.Strings(out)
	return out
}

// labelNames returns the sorted label names used by a family's series.
func labelNames(mf *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			seen[l.GetName()] = true
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// exposition renders g in the Prometheus text format.
func exposition(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	is.New(t).NoErr(err) // gather
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		is.New(t).NoErr(enc.Encode(mf)) // encode a family
	}
	return buf.Bytes()
}

// countWithLabel counts the series, across families, that carry label=value.
func countWithLabel(t *testing.T, g prometheus.Gatherer, label, value string) int {
	t.Helper()
	n := 0
	for _, mf := range gather(t, g) {
		for _, m := range mf.GetMetric() {
			n += len(slices.DeleteFunc(slices.Clone(m.GetLabel()), func(l *dto.LabelPair) bool {
				return l.GetName() != label || l.GetValue() != value
			}))
		}
	}
	return n
}
