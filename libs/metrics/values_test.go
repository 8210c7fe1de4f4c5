package metrics_test

import (
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

func TestCountersAndGaugesMoveByWhatWasPassed(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	m.TaskEnqueued(metrics.EngineVLLM, metrics.PriorityBatch)
	m.TaskEnqueued(metrics.EngineVLLM, metrics.PriorityBatch)
	m.TaskStarted(metrics.EngineVLLM, "p1", metrics.PriorityBatch)
	m.TaskCompleted(metrics.EngineVLLM, "p1", metrics.OutcomeFailed)
	m.TaskCanceled(metrics.CancelDeadline)
	m.TaskRejected(metrics.RejectBudgetExhausted)
	m.BackpressureEvent(metrics.PolicyBudget)
	m.NodeRegistration(metrics.NodeReplaced)
	m.NodeHeartbeat(metrics.NodeUnknown)
	ps := m.PoolSeries(metrics.EngineVLLM, "p1")
	ps.TokensOut(5)
	ps.TokensOut(7)
	ps.TokensOut(0)
	ps.TokensOut(-3)
	m.TokensOut(metrics.EngineVLLM, "p1", 30)
	m.SetQueueDepth(metrics.PriorityInteractive, 9)
	m.SetQueueDepth(metrics.PriorityInteractive, 4)
	m.SetActiveLeases("p1", 3)
	m.SetPoolSlotsFree("p1", 5)
	m.SetPoolReady("p1", true)
	m.SetPoolReady("p1", false)
	m.SetNodesOnline(7)

	is.Equal(value(t, reg, "orchd_tasks_enqueued_total", "engine=vllm,priority=batch"), 2.0)                // two enqueues
	is.Equal(value(t, reg, "orchd_tasks_enqueued_total", "engine=vllm,priority=interactive"), 0.0)          // untouched
	is.Equal(value(t, reg, "orchd_tasks_started_total", "engine=vllm,pool_id=p1,priority=batch"), 1.0)      // one start
	is.Equal(value(t, reg, "orchd_tasks_completed_total", "engine=vllm,outcome=failed,pool_id=p1"), 1.0)    // one failure
	is.Equal(value(t, reg, "orchd_tasks_completed_total", "engine=vllm,outcome=completed,pool_id=p1"), 0.0) // no success
	is.Equal(value(t, reg, "orchd_tasks_canceled_total", "reason=deadline"), 1.0)                           // one cancel
	is.Equal(value(t, reg, "orchd_tasks_rejected_total", "reason=budget_exhausted"), 1.0)                   // one reject
	is.Equal(value(t, reg, "orchd_admission_backpressure_events_total", "policy=budget"), 1.0)              // one 429
	is.Equal(value(t, reg, "orchd_node_registrations_total", "outcome=replaced"), 1.0)                      // one registration
	is.Equal(value(t, reg, "orchd_node_heartbeats_total", "outcome=unknown_node"), 1.0)                     // one heartbeat
	is.Equal(value(t, reg, "orchd_tokens_out_total", "engine=vllm,pool_id=p1"), 42.0)                       // 5+7+30, non-positive ignored
	is.Equal(value(t, reg, "orchd_queue_depth", "priority=interactive"), 4.0)                               // last value
	is.Equal(value(t, reg, "orchd_active_leases", "pool_id=p1"), 3.0)                                       // set
	is.Equal(value(t, reg, "orchd_pool_slots_free", "pool_id=p1"), 5.0)                                     // set
	is.Equal(value(t, reg, "orchd_pool_ready", "pool_id=p1"), 0.0)                                          // not ready
	is.Equal(value(t, reg, "orchd_nodes_online", ""), 7.0)                                                  // set
}

func TestHistogramsObserveSeconds(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	m.ObserveFirstToken(metrics.EngineTGI, "p1", metrics.PriorityInteractive, 250*time.Millisecond)
	m.ObserveFirstToken(metrics.EngineTGI, "p1", metrics.PriorityInteractive, 2*time.Second)
	m.ObserveDecode(metrics.EngineTGI, "p1", 90*time.Second)
	m.ObserveQueueWait(metrics.PriorityBatch, -time.Second)

	ft := find(t, reg, "orchd_first_token_latency_seconds", "engine=tgi,pool_id=p1,priority=interactive").GetHistogram()
	is.Equal(ft.GetSampleCount(), uint64(2))                              // two observations
	is.Equal(ft.GetSampleSum(), 2.25)                                     // in seconds
	is.Equal(ft.GetBucket()[0].GetUpperBound(), .005)                     // buckets start at 5 ms
	is.Equal(ft.GetBucket()[len(ft.GetBucket())-1].GetUpperBound(), 60.0) // and end at 60 s
	is.Equal(ft.GetBucket()[5].GetUpperBound(), .25)                      // the 250 ms bucket
	is.Equal(ft.GetBucket()[5].GetCumulativeCount(), uint64(1))           // holds the first observation
	is.Equal(ft.GetBucket()[4].GetCumulativeCount(), uint64(0))           // and not below

	dec := find(t, reg, "orchd_decode_duration_seconds", "engine=tgi,pool_id=p1").GetHistogram()
	is.Equal(dec.GetSampleSum(), 90.0)                                       // in seconds
	is.Equal(dec.GetBucket()[len(dec.GetBucket())-1].GetUpperBound(), 600.0) // up to 10 min

	qw := find(t, reg, "orchd_queue_wait_seconds", "priority=batch").GetHistogram()
	is.Equal(qw.GetSampleCount(), uint64(1))                               // observed
	is.Equal(qw.GetSampleSum(), 0.0)                                       // a negative duration counts as 0
	is.Equal(qw.GetBucket()[0].GetUpperBound(), .001)                      // from 1 ms
	is.Equal(qw.GetBucket()[len(qw.GetBucket())-1].GetUpperBound(), 600.0) // to 10 min
}

func TestCustomBuckets(t *testing.T) {
	is := is.New(t)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.WithQueueWaitBuckets([]float64{1, 2}))
	is.NoErr(err) // custom buckets accepted
	m.ObserveQueueWait(metrics.PriorityBatch, time.Second)
	qw := find(t, reg, "orchd_queue_wait_seconds", "priority=batch").GetHistogram()
	is.Equal(len(qw.GetBucket()), 2) // the given buckets
}

func TestUnknownValuesMapToOther(t *testing.T) {
	tests := []struct {
		name   string
		record func(m *metrics.Metrics)
		series string
		key    string
	}{
		{"engine", func(m *metrics.Metrics) { m.TaskEnqueued("triton", metrics.PriorityBatch) }, "orchd_tasks_enqueued_total", "engine=other,priority=batch"},
		{"priority", func(m *metrics.Metrics) { m.TaskEnqueued(metrics.EngineAny, "urgent") }, "orchd_tasks_enqueued_total", "engine=any,priority=other"},
		{"cancel reason", func(m *metrics.Metrics) { m.TaskCanceled("oom") }, "orchd_tasks_canceled_total", "reason=other"},
		{"reject reason", func(m *metrics.Metrics) { m.TaskRejected("INTERNAL") }, "orchd_tasks_rejected_total", "reason=other"},
		{"policy", func(m *metrics.Metrics) { m.BackpressureEvent("shed") }, "orchd_admission_backpressure_events_total", "policy=other"},
		{"registration outcome", func(m *metrics.Metrics) { m.NodeRegistration("weird") }, "orchd_node_registrations_total", "outcome=other"},
		{"heartbeat outcome", func(m *metrics.Metrics) { m.NodeHeartbeat("weird") }, "orchd_node_heartbeats_total", "outcome=other"},
		{"queue depth priority", func(m *metrics.Metrics) { m.SetQueueDepth("urgent", 1) }, "orchd_queue_depth", "priority=other"},
		{"pool engine", func(m *metrics.Metrics) { m.TokensOut("triton", "p1", 1) }, "orchd_tokens_out_total", "engine=other,pool_id=p1"},
		{"start priority", func(m *metrics.Metrics) { m.TaskStarted(metrics.EngineOllama, "p1", "urgent") }, "orchd_tasks_started_total", "engine=ollama,pool_id=p1,priority=other"},
		{"outcome", func(m *metrics.Metrics) { m.TaskCompleted(metrics.EngineOllama, "p1", "exploded") }, "orchd_tasks_completed_total", "engine=ollama,outcome=other,pool_id=p1"},
		{"model state", func(m *metrics.Metrics) { m.SetModelState("m", "Quarantined") }, "orchd_model_state", "model_id=m,state=other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			m, reg := newMetrics(t)
			tt.record(m)
			is.Equal(value(t, reg, tt.series, tt.key), 1.0) // recorded under "other"
		})
	}
	t.Run("histograms", func(t *testing.T) {
		is := is.New(t)
		m, reg := newMetrics(t)
		m.ObserveFirstToken(metrics.EngineOpenAI, "p1", "urgent", time.Second)
		m.ObserveQueueWait("urgent", time.Second)
		is.Equal(find(t, reg, "orchd_first_token_latency_seconds", "engine=openai,pool_id=p1,priority=other").GetHistogram().GetSampleCount(), uint64(1)) // first token under other
		is.Equal(find(t, reg, "orchd_queue_wait_seconds", "priority=other").GetHistogram().GetSampleCount(), uint64(1))                                   // queue wait under other
	})
}

func TestModelStateOneHot(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	m.SetModelState("org/a", metrics.ModelActive)
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Active"), 1.0)  // active
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Retired"), 0.0) // not retired

	m.SetModelState("org/a", metrics.ModelRetired)
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Active"), 0.0)  // no longer active
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Retired"), 1.0) // retired

	m.SetModelState("org/a", "Quarantined")
	m.SetModelState("org/a", metrics.ModelActive)
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=other"), 0.0)  // other cleared
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Active"), 1.0) // one hot again
}

func TestForgetPool(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	exerciseAll(m)
	m.TokensOut(metrics.EngineOllama, "p1", 3) // p1 under a second engine
	m.TokensOut(metrics.EngineLlamaCPP, "p2", 4)
	m.SetActiveLeases("p2", 1)
	held := m.PoolSeries(metrics.EngineLlamaCPP, "p1")

	m.ForgetPool("p1")
	is.Equal(countWithLabel(t, reg, "pool_id", "p1"), 0)                                 // no p1 series left in any family
	is.Equal(value(t, reg, "orchd_tokens_out_total", "engine=llamacpp,pool_id=p2"), 4.0) // p2 untouched
	is.Equal(value(t, reg, "orchd_active_leases", "pool_id=p2"), 1.0)                    // p2 gauges untouched

	held.TokensOut(5)                                                                     // a stale handle records into nothing exported
	is.Equal(value(t, reg, "orchd_tokens_out_total", "engine=llamacpp,pool_id=p1"), -1.0) // still gone
	m.TokensOut(metrics.EngineLlamaCPP, "p1", 2)
	is.Equal(value(t, reg, "orchd_tokens_out_total", "engine=llamacpp,pool_id=p1"), 2.0) // a returning pool starts again at zero
}

func TestForgetModel(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	m.SetModelState("org/a", metrics.ModelActive)
	m.SetModelState("org/b", metrics.ModelRetired)
	m.ForgetModel("org/a")
	is.Equal(keys(t, reg, "orchd_model_state"), []string{"model_id=org/b,state=Active", "model_id=org/b,state=Retired"}) // only org/b left
	m.SetModelState("org/a", metrics.ModelActive)
	is.Equal(value(t, reg, "orchd_model_state", "model_id=org/a,state=Active"), 1.0) // comes back when set again
}

func TestTwoRegistriesDoNotInterfere(t *testing.T) {
	is := is.New(t)
	a, regA := newMetrics(t)
	b, regB := newMetrics(t)
	a.TokensOut(metrics.EngineVLLM, "p1", 10)
	a.TaskCanceled(metrics.CancelClient)
	b.TokensOut(metrics.EngineVLLM, "p1", 1)
	b.ForgetPool("p1")

	is.Equal(value(t, regA, "orchd_tokens_out_total", "engine=vllm,pool_id=p1"), 10.0) // a has its own count
	is.Equal(value(t, regA, "orchd_tasks_canceled_total", "reason=client"), 1.0)       // a's cancel
	is.Equal(value(t, regB, "orchd_tasks_canceled_total", "reason=client"), 0.0)       // not seen by b
	is.Equal(value(t, regB, "orchd_tokens_out_total", "engine=vllm,pool_id=p1"), -1.0) // b forgot only its own
}
