package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type poolKey struct {
	engine Engine // a known engine or Other
	pool   string
}

// PoolSeries holds the per-task series of one (engine, pool): a task takes
// it once when it starts and records through it; every method is one atomic
// operation without allocation for a known label value. A PoolSeries is safe
// for concurrent use. After ForgetPool its series are no longer exported:
// take a new one with Metrics.PoolSeries.
type PoolSeries struct {
	m          *Metrics
	engine     string
	pool       string
	tokens     prometheus.Counter
	decode     prometheus.Observer
	started    [numPriorities]prometheus.Counter
	firstToken [numPriorities]prometheus.Observer
	completed  [numOutcomes]prometheus.Counter
}

// PoolSeries returns the series of engine and poolID, creating them (at
// zero) on first use. Callers keep the result for the life of a task.
func (m *Metrics) PoolSeries(engine Engine, poolID string) *PoolSeries {
	k := poolKey{engine: engine, pool: poolID}
	if engine.index() < 0 {
		k.engine = Other
	}
	m.mu.RLock()
	ps := m.series[k]
	m.mu.RUnlock()
	if ps != nil {
		return ps
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ps = m.series[k]; ps != nil {
		return ps
	}
	e := string(k.engine)
	ps = &PoolSeries{
		m:      m,
		engine: e,
		pool:   poolID,
		tokens: m.tokensOut.WithLabelValues(e, poolID),
		decode: m.decode.WithLabelValues(e, poolID),
	}
	for i := range numPriorities {
		p := string(priorityAt(i))
		ps.started[i] = m.started.WithLabelValues(e, poolID, p)
		ps.firstToken[i] = m.firstToken.WithLabelValues(e, poolID, p)
	}
	for i := range numOutcomes {
		ps.completed[i] = m.completed.WithLabelValues(e, poolID, string(outcomeAt(i)))
	}
	m.series[k] = ps
	return ps
}

// TokensOut counts n tokens streamed; n <= 0 is ignored.
func (ps *PoolSeries) TokensOut(n int) {
	if n > 0 {
		ps.tokens.Add(float64(n))
	}
}

// Started counts a task started on the pool.
func (ps *PoolSeries) Started(p Priority) {
	if i := p.index(); i >= 0 {
		ps.started[i].Inc()
		return
	}
	ps.m.started.WithLabelValues(ps.engine, ps.pool, Other).Inc()
}

// Completed counts a task that ended on the pool.
func (ps *PoolSeries) Completed(o Outcome) {
	if i := o.index(); i >= 0 {
		ps.completed[i].Inc()
		return
	}
	ps.m.completed.WithLabelValues(ps.engine, ps.pool, Other).Inc()
}

// FirstToken records the time from admission to the first token.
func (ps *PoolSeries) FirstToken(p Priority, d time.Duration) {
	if i := p.index(); i >= 0 {
		ps.firstToken[i].Observe(seconds(d))
		return
	}
	ps.m.firstToken.WithLabelValues(ps.engine, ps.pool, Other).Observe(seconds(d))
}

// Decode records the time from the first token to the end of the stream.
func (ps *PoolSeries) Decode(d time.Duration) { ps.decode.Observe(seconds(d)) }

type poolGauges struct {
	leases, ready, slotsFree prometheus.Gauge
}

func (m *Metrics) poolGauges(poolID string) *poolGauges {
	m.mu.RLock()
	g := m.pools[poolID]
	m.mu.RUnlock()
	if g != nil {
		return g
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if g = m.pools[poolID]; g != nil {
		return g
	}
	g = &poolGauges{
		leases:    m.activeLeases.WithLabelValues(poolID),
		ready:     m.poolReady.WithLabelValues(poolID),
		slotsFree: m.slotsFree.WithLabelValues(poolID),
	}
	m.pools[poolID] = g
	return g
}

// SetActiveLeases sets the slots of a pool leased to running tasks.
func (m *Metrics) SetActiveLeases(poolID string, n int) { m.poolGauges(poolID).leases.Set(float64(n)) }

// SetPoolSlotsFree sets the free slots of a pool as placement sees them.
func (m *Metrics) SetPoolSlotsFree(poolID string, n int) {
	m.poolGauges(poolID).slotsFree.Set(float64(n))
}

// SetPoolReady sets whether a pool can take work (online, ready, not
// draining).
func (m *Metrics) SetPoolReady(poolID string, ready bool) {
	m.poolGauges(poolID).ready.Set(oneIf(ready))
}

// ForgetPool deletes every series of a pool that left the registry, under
// every engine, so pool_id cardinality stays bounded by the live pools.
// PoolSeries handles of the pool stop being exported.
func (m *Metrics) ForgetPool(poolID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.series {
		if k.pool == poolID {
			delete(m.series, k)
		}
	}
	delete(m.pools, poolID)
	match := prometheus.Labels{lPoolID: poolID}
	m.started.DeletePartialMatch(match)
	m.completed.DeletePartialMatch(match)
	m.tokensOut.DeletePartialMatch(match)
	m.firstToken.DeletePartialMatch(match)
	m.decode.DeletePartialMatch(match)
	m.activeLeases.DeletePartialMatch(match)
	m.poolReady.DeletePartialMatch(match)
	m.slotsFree.DeletePartialMatch(match)
}

// modelGauges holds one gauge per state of a model; other is created the
// first time an unknown state is set.
type modelGauges struct {
	active, retired, other prometheus.Gauge
}

// SetModelState sets the state of a catalog model: its series for state is
// 1 and its series for every other state 0. An unknown state is recorded as
// Other.
func (m *Metrics) SetModelState(modelID string, state ModelState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.models[modelID]
	if g == nil {
		g = &modelGauges{
			active:  m.modelState.WithLabelValues(modelID, string(ModelActive)),
			retired: m.modelState.WithLabelValues(modelID, string(ModelRetired)),
		}
		m.models[modelID] = g
	}
	known := state == ModelActive || state == ModelRetired
	if !known && g.other == nil {
		g.other = m.modelState.WithLabelValues(modelID, Other)
	}
	g.active.Set(oneIf(state == ModelActive))
	g.retired.Set(oneIf(state == ModelRetired))
	if g.other != nil {
		g.other.Set(oneIf(!known))
	}
}

// ForgetModel deletes the series of a model that left the catalog.
func (m *Metrics) ForgetModel(modelID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.models, modelID)
	m.modelState.DeletePartialMatch(prometheus.Labels{lModelID: modelID})
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
