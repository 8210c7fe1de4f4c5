package wire

// QueuePolicy is what admission does when the queue is full.
type QueuePolicy string

// Queue policies (config queue.policy).
const (
	QueueReject  QueuePolicy = "reject"
	QueueDropLRU QueuePolicy = "drop-lru"
)

// QueuePolicies returns every queue policy.
func QueuePolicies() []QueuePolicy { return []QueuePolicy{QueueReject, QueueDropLRU} }

// Valid reports whether p is a queue policy of the contract.
func (p QueuePolicy) Valid() bool { return p == QueueReject || p == QueueDropLRU }

// Label returns the policy_label of a 429 caused by p.
func (p QueuePolicy) Label() PolicyLabel { return PolicyLabel(p) }

// Strategy is the placement strategy among eligible pools.
type Strategy string

// Placement strategies (config placement.strategy).
const (
	StrategyLeastLoaded Strategy = "least-loaded"
	StrategyRoundRobin  Strategy = "round-robin"
	StrategyRandom      Strategy = "random"
)

// Strategies returns every placement strategy.
func Strategies() []Strategy {
	return []Strategy{StrategyLeastLoaded, StrategyRoundRobin, StrategyRandom}
}

// Valid reports whether s is a placement strategy of the contract.
func (s Strategy) Valid() bool {
	return s == StrategyLeastLoaded || s == StrategyRoundRobin || s == StrategyRandom
}

// Pool is an item of GET /v2/pools (and of a node's pools): the pool with its
// node, engine, models and live state. NodeID is empty for a static pool.
// SlotsFree is slots_total minus leases, bounded by the engine's report.
type Pool struct {
	PoolID        string   `json:"pool_id"`
	NodeID        string   `json:"node_id,omitempty"`
	Engine        Engine   `json:"engine"`
	URL           string   `json:"url"`
	Models        []string `json:"models,omitempty"`
	SlotsTotal    int      `json:"slots_total"`
	SlotsFree     int      `json:"slots_free"`
	ActiveLeases  int      `json:"active_leases"`
	CtxMax        int      `json:"ctx_max,omitempty"`
	DeviceMask    string   `json:"device_mask,omitempty"`
	EngineVersion string   `json:"engine_version,omitempty"`
	Live          bool     `json:"live"`
	Ready         bool     `json:"ready"`
	Draining      bool     `json:"draining"`
	LastError     string   `json:"last_error,omitempty"`
}

// PoolHealth is the body of GET /v2/pools/{id}/health.
type PoolHealth struct {
	Live      bool              `json:"live"`
	Ready     bool              `json:"ready"`
	Draining  bool              `json:"draining"`
	Metrics   PoolHealthMetrics `json:"metrics"`
	LastError string            `json:"last_error,omitempty"`
}

// PoolHealthMetrics are a pool's load figures; TokensPerS is the moving
// average of measured decode throughput.
type PoolHealthMetrics struct {
	SlotsTotal   int     `json:"slots_total"`
	SlotsFree    int     `json:"slots_free"`
	ActiveLeases int     `json:"active_leases"`
	QueueDepth   int     `json:"queue_depth"`
	TokensPerS   float64 `json:"tokens_per_s"`
}

// DrainRequest is the body of POST /v2/pools/{id}/drain: running tasks may
// finish for DeadlineMs, then they are canceled.
type DrainRequest struct {
	DeadlineMs int64 `json:"deadline_ms"`
}

// ReloadRequest is the body of POST /v2/pools/{id}/reload.
type ReloadRequest struct {
	NewModelRef string `json:"new_model_ref"`
}

// PurgeRequest is the body of POST /v2/pools/{id}/purge.
type PurgeRequest struct {
	PurgeModels []string `json:"purge_models"`
	DrainFirst  bool     `json:"drain_first"`
	Force       bool     `json:"force"`
}
