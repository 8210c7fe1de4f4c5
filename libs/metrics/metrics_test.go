package metrics_test

import (
	"errors"
	"math"
	"testing"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

func TestNewRejectsNilRegisterer(t *testing.T) {
	is := is.New(t)
	_, err := metrics.New(nil)
	is.True(errors.Is(err, metrics.ErrNilRegisterer)) // no fallback to the global registry
}

func TestNewRejectsInvalidBuckets(t *testing.T) {
	tests := []struct {
		name string
		opt  metrics.Option
	}{
		{"empty first-token buckets", metrics.WithFirstTokenBuckets(nil)},
		{"decreasing decode buckets", metrics.WithDecodeBuckets([]float64{1, 0.5})},
		{"repeated queue-wait bucket", metrics.WithQueueWaitBuckets([]float64{1, 1})},
		{"NaN bucket", metrics.WithDecodeBuckets([]float64{math.NaN()})},
		{"infinite bucket", metrics.WithQueueWaitBuckets([]float64{1, math.Inf(1)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			reg := prometheus.NewRegistry()
			_, err := metrics.New(reg, tt.opt)
			is.True(errors.Is(err, metrics.ErrInvalidBuckets)) // rejected
			mfs, err := reg.Gather()
			is.NoErr(err)         // gather
			is.Equal(len(mfs), 0) // nothing registered
		})
	}
}

func TestNewRollsBackOnConflict(t *testing.T) {
	is := is.New(t)
	reg := prometheus.NewRegistry()
	squatter := prometheus.NewGauge(prometheus.GaugeOpts{Name: "orchd_queue_wait_seconds", Help: "in the way"})
	is.NoErr(reg.Register(squatter)) // a collector holds one of the names

	_, err := metrics.New(reg)
	is.True(err != nil) // conflict reported
	names := gather(t, reg)
	is.Equal(len(names), 1) // everything registered before the conflict was removed

	_, err = metrics.New(prometheus.NewRegistry())
	is.NoErr(err) // a clean registry works
}

func TestNewTwiceOnOneRegistry(t *testing.T) {
	is := is.New(t)
	_, reg := newMetrics(t)
	_, err := metrics.New(reg)
	var are prometheus.AlreadyRegisteredError
	is.True(errors.As(err, &are)) // the same series cannot be registered twice
}

// TestEverySeriesWithExactLabels: after one call of each helper, every series
// of api.md §8 is there with exactly its labels, and nothing else is.
func TestEverySeriesWithExactLabels(t *testing.T) {
	want := map[string]struct {
		typ    dto.MetricType
		labels []string
	}{
		"orchd_tasks_enqueued_total":                {dto.MetricType_COUNTER, []string{"engine", "priority"}},
		"orchd_tasks_started_total":                 {dto.MetricType_COUNTER, []string{"engine", "pool_id", "priority"}},
		"orchd_tasks_canceled_total":                {dto.MetricType_COUNTER, []string{"reason"}},
		"orchd_tasks_rejected_total":                {dto.MetricType_COUNTER, []string{"reason"}},
		"orchd_tasks_completed_total":               {dto.MetricType_COUNTER, []string{"engine", "outcome", "pool_id"}},
		"orchd_admission_backpressure_events_total": {dto.MetricType_COUNTER, []string{"policy"}},
		"orchd_queue_depth":                         {dto.MetricType_GAUGE, []string{"priority"}},
		"orchd_active_leases":                       {dto.MetricType_GAUGE, []string{"pool_id"}},
		"orchd_pool_ready":                          {dto.MetricType_GAUGE, []string{"pool_id"}},
		"orchd_pool_slots_free":                     {dto.MetricType_GAUGE, []string{"pool_id"}},
		"orchd_model_state":                         {dto.MetricType_GAUGE, []string{"model_id", "state"}},
		"orchd_node_registrations_total":            {dto.MetricType_COUNTER, []string{"outcome"}},
		"orchd_node_heartbeats_total":               {dto.MetricType_COUNTER, []string{"outcome"}},
		"orchd_nodes_online":                        {dto.MetricType_GAUGE, nil},
		"orchd_tokens_out_total":                    {dto.MetricType_COUNTER, []string{"engine", "pool_id"}},
		"orchd_first_token_latency_seconds":         {dto.MetricType_HISTOGRAM, []string{"engine", "pool_id", "priority"}},
		"orchd_decode_duration_seconds":             {dto.MetricType_HISTOGRAM, []string{"engine", "pool_id"}},
		"orchd_queue_wait_seconds":                  {dto.MetricType_HISTOGRAM, []string{"priority"}},
	}
	m, reg := newMetrics(t)
	exerciseAll(m)
	got := gather(t, reg)
	is.New(t).Equal(len(got), len(want)) // no series beyond api.md §8
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			mf := got[name]
			is.True(mf != nil)                 // present
			is.Equal(mf.GetType(), w.typ)      // type
			is.Equal(labelNames(mf), w.labels) // exactly the listed labels
			is.True(len(mf.GetHelp()) > 0)     // documented
		})
	}
}

func TestClosedSetsExportedAtZero(t *testing.T) {
	is := is.New(t)
	_, reg := newMetrics(t)
	cancel := []string{"reason=client", "reason=deadline", "reason=disconnect", "reason=drain", "reason=evicted", "reason=retired", "reason=shutdown"}
	reject := []string{"reason=admission_reject", "reason=budget_exhausted", "reason=deadline_unmet", "reason=invalid_params",
		"reason=pool_unavailable", "reason=queue_full_drop_lru", "reason=untrusted_artifact"}
	policy := []string{"policy=budget", "policy=drop-lru", "policy=reject"}
	node := []string{"outcome=error", "outcome=ok", "outcome=replaced", "outcome=unknown_node"}

	is.Equal(keys(t, reg, "orchd_tasks_canceled_total"), cancel)                // every cancel reason, before any event
	is.Equal(keys(t, reg, "orchd_tasks_rejected_total"), reject)                // every reject reason
	is.Equal(keys(t, reg, "orchd_admission_backpressure_events_total"), policy) // every policy
	is.Equal(keys(t, reg, "orchd_node_heartbeats_total"), node)                 // every heartbeat outcome
	is.Equal(keys(t, reg, "orchd_node_registrations_total"), node)              // every registration outcome
	is.Equal(len(keys(t, reg, "orchd_tasks_enqueued_total")), 12)               // 6 engines × 2 priorities
	is.Equal(len(keys(t, reg, "orchd_queue_depth")), 2)                         // both priorities
	is.Equal(value(t, reg, "orchd_tasks_canceled_total", "reason=drain"), 0.0)  // at zero
}
