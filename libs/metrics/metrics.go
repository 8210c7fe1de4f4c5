package metrics

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Series names (api.md §8).
const (
	nameEnqueued     = "orchd_tasks_enqueued_total"
	nameStarted      = "orchd_tasks_started_total"
	nameCanceled     = "orchd_tasks_canceled_total"
	nameRejected     = "orchd_tasks_rejected_total"
	nameCompleted    = "orchd_tasks_completed_total"
	nameBackpressure = "orchd_admission_backpressure_events_total"
	nameQueueDepth   = "orchd_queue_depth"
	nameActiveLeases = "orchd_active_leases"
	namePoolReady    = "orchd_pool_ready"
	nameSlotsFree    = "orchd_pool_slots_free"
	nameModelState   = "orchd_model_state"
	nameRegistration = "orchd_node_registrations_total"
	nameHeartbeats   = "orchd_node_heartbeats_total"
	nameNodesOnline  = "orchd_nodes_online"
	nameTokensOut    = "orchd_tokens_out_total"
	nameFirstToken   = "orchd_first_token_latency_seconds"
	nameDecode       = "orchd_decode_duration_seconds"
	nameQueueWait    = "orchd_queue_wait_seconds"
)

// Label names.
const (
	lEngine   = "engine"
	lPriority = "priority"
	lPoolID   = "pool_id"
	lReason   = "reason"
	lOutcome  = "outcome"
	lPolicy   = "policy"
	lModelID  = "model_id"
	lState    = "state"
)

// Metrics holds every series of api.md §8. It is safe for concurrent use.
type Metrics struct {
	// Vectors keyed by a pool or model; their children are cached below.
	started      *prometheus.CounterVec
	completed    *prometheus.CounterVec
	tokensOut    *prometheus.CounterVec
	firstToken   *prometheus.HistogramVec
	decode       *prometheus.HistogramVec
	activeLeases *prometheus.GaugeVec
	poolReady    *prometheus.GaugeVec
	slotsFree    *prometheus.GaugeVec
	modelState   *prometheus.GaugeVec

	// Closed label sets, children created by New.
	enqueuedVec  *prometheus.CounterVec
	enqueued     [numEngines][numPriorities]prometheus.Counter
	canceled     counterBy[CancelReason]
	rejected     counterBy[RejectReason]
	backpressure counterBy[Policy]
	queueDepth   gaugeBy[Priority]
	registration counterBy[NodeOutcome]
	heartbeats   counterBy[NodeOutcome]
	queueWait    observerBy[Priority]
	nodesOnline  prometheus.Gauge

	mu     sync.RWMutex
	series map[poolKey]*PoolSeries
	pools  map[string]*poolGauges
	models map[string]*modelGauges
}

// New creates every series and registers it on reg (never on the global
// registry). Errors: ErrNilRegisterer, ErrInvalidBuckets, or the
// registerer's error (for example a prometheus.AlreadyRegisteredError when
// reg already holds these series), in which case nothing stays registered.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	if reg == nil {
		return nil, ErrNilRegisterer
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	}
	m := &Metrics{
		started:      counter(nameStarted, "Tasks started on a pool.", lEngine, lPoolID, lPriority),
		completed:    counter(nameCompleted, "Tasks that ended after starting on a pool, by outcome.", lEngine, lPoolID, lOutcome),
		tokensOut:    counter(nameTokensOut, "Tokens streamed to clients.", lEngine, lPoolID),
		firstToken:   histogram(nameFirstToken, "Time from admission to the first token, in seconds.", o.firstToken, lEngine, lPoolID, lPriority),
		decode:       histogram(nameDecode, "Time from the first token to the end of the stream, in seconds.", o.decode, lEngine, lPoolID),
		activeLeases: gauge(nameActiveLeases, "Slots of a pool leased to running tasks.", lPoolID),
		poolReady:    gauge(namePoolReady, "1 when a pool is online, ready and not draining, else 0.", lPoolID),
		slotsFree:    gauge(nameSlotsFree, "Free slots of a pool as placement sees them.", lPoolID),
		modelState:   gauge(nameModelState, "1 for the current lifecycle state of a catalog model, else 0.", lModelID, lState),
		enqueuedVec:  counter(nameEnqueued, "Tasks admitted into the queue, by requested engine (any when none).", lEngine, lPriority),
		nodesOnline: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: nameNodesOnline, Help: "Nodes online, static nodes included.",
		}),
		series: make(map[poolKey]*PoolSeries),
		pools:  make(map[string]*poolGauges),
		models: make(map[string]*modelGauges),
	}
	canceled := counter(nameCanceled, "Tasks canceled, by reason.", lReason)
	rejected := counter(nameRejected, "Tasks refused at admission, by reason.", lReason)
	backpressure := counter(nameBackpressure, "Times a policy pushed back on a new task: a 429 (reject, drop-lru with nothing to evict, budget) or a drop-lru eviction.", lPolicy)
	queueDepth := gauge(nameQueueDepth, "Tasks waiting in the admission queue.", lPriority)
	registration := counter(nameRegistration, "Node registrations, by outcome.", lOutcome)
	heartbeats := counter(nameHeartbeats, "Node heartbeats, by outcome.", lOutcome)
	queueWait := histogram(nameQueueWait, "Time a task waited in the queue before it started, in seconds.", o.queueWait, lPriority)

	for e := range numEngines {
		for p := range numPriorities {
			m.enqueued[e][p] = m.enqueuedVec.WithLabelValues(string(engineAt(e)), string(priorityAt(p)))
		}
	}
	m.canceled = newCounterBy(canceled, numCancelReasons, cancelReasonAt)
	m.rejected = newCounterBy(rejected, numRejectReasons, rejectReasonAt)
	m.backpressure = newCounterBy(backpressure, numPolicies, policyAt)
	m.queueDepth = newGaugeBy(queueDepth, numPriorities, priorityAt)
	m.registration = newCounterBy(registration, numNodeOutcomes, nodeOutcomeAt)
	m.heartbeats = newCounterBy(heartbeats, numNodeOutcomes, nodeOutcomeAt)
	m.queueWait = newObserverBy(queueWait, numPriorities, priorityAt)

	all := []prometheus.Collector{
		m.enqueuedVec, m.started, canceled, rejected, m.completed, backpressure,
		queueDepth, m.activeLeases, m.poolReady, m.slotsFree, m.modelState,
		registration, heartbeats, m.nodesOnline, m.tokensOut,
		m.firstToken, m.decode, queueWait,
	}
	for i, c := range all {
		if err := reg.Register(c); err != nil {
			for _, done := range all[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// NewRegistry returns a fresh registry with the Go and process collectors,
// for main to pass to New and to serve.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	// A fresh registry holds nothing these could collide with.
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// seconds converts d for a histogram; a negative duration counts as 0.
func seconds(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}

// TaskEnqueued counts a task admitted into the queue. engine is the engine
// the task requested, EngineAny when it named none.
func (m *Metrics) TaskEnqueued(engine Engine, p Priority) {
	e, pi := engine.index(), p.index()
	if e >= 0 && pi >= 0 {
		m.enqueued[e][pi].Inc()
		return
	}
	m.enqueuedVec.WithLabelValues(label(engine), label(p)).Inc()
}

// TaskCanceled counts a canceled task.
func (m *Metrics) TaskCanceled(reason CancelReason) { m.canceled.inc(reason) }

// TaskRejected counts a task refused at admission.
func (m *Metrics) TaskRejected(reason RejectReason) { m.rejected.inc(reason) }

// BackpressureEvent counts a policy pushing back on a new task: a 429
// answered under it, or a queued task evicted by drop-lru.
func (m *Metrics) BackpressureEvent(policy Policy) { m.backpressure.inc(policy) }

// SetQueueDepth sets the number of queued tasks of priority p.
func (m *Metrics) SetQueueDepth(p Priority, n int) { m.queueDepth.set(p, float64(n)) }

// ObserveQueueWait records how long a task of priority p waited in the queue.
func (m *Metrics) ObserveQueueWait(p Priority, d time.Duration) { m.queueWait.observe(p, seconds(d)) }

// NodeRegistration counts a node registration.
func (m *Metrics) NodeRegistration(outcome NodeOutcome) { m.registration.inc(outcome) }

// NodeHeartbeat counts a node heartbeat.
func (m *Metrics) NodeHeartbeat(outcome NodeOutcome) { m.heartbeats.inc(outcome) }

// SetNodesOnline sets the number of nodes online.
func (m *Metrics) SetNodesOnline(n int) { m.nodesOnline.Set(float64(n)) }

// TaskStarted counts a task started on a pool.
func (m *Metrics) TaskStarted(engine Engine, poolID string, p Priority) {
	m.PoolSeries(engine, poolID).Started(p)
}

// TaskCompleted counts a started task that ended.
func (m *Metrics) TaskCompleted(engine Engine, poolID string, outcome Outcome) {
	m.PoolSeries(engine, poolID).Completed(outcome)
}

// TokensOut counts n tokens streamed from a pool; n <= 0 is ignored. On the
// token path prefer a PoolSeries kept for the task.
func (m *Metrics) TokensOut(engine Engine, poolID string, n int) {
	m.PoolSeries(engine, poolID).TokensOut(n)
}

// ObserveFirstToken records the time from admission to the first token.
func (m *Metrics) ObserveFirstToken(engine Engine, poolID string, p Priority, d time.Duration) {
	m.PoolSeries(engine, poolID).FirstToken(p, d)
}

// ObserveDecode records the time from the first token to the end of a stream.
func (m *Metrics) ObserveDecode(engine Engine, poolID string, d time.Duration) {
	m.PoolSeries(engine, poolID).Decode(d)
}
