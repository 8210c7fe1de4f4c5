package wire

// Session is the body of GET /v2/sessions/{id}. It holds metadata only, never
// prompt or output text. An unlimited budget is omitted.
type Session struct {
	SessionID             string   `json:"session_id,omitempty"`
	TTLMsRemaining        int64    `json:"ttl_ms_remaining"`
	Turns                 int      `json:"turns"`
	KVBytes               int64    `json:"kv_bytes"`
	KVWarmth              bool     `json:"kv_warmth"`
	LastPoolID            string   `json:"last_pool_id,omitempty"`
	TokensBudgetRemaining *int64   `json:"tokens_budget_remaining,omitempty"`
	TimeBudgetRemainingMs *int64   `json:"time_budget_remaining_ms,omitempty"`
	CostBudgetRemaining   *float64 `json:"cost_budget_remaining,omitempty"`
}

// Budget headers sent with a task that has a session; an unlimited budget's
// header is not sent.
const (
	HeaderBudgetTokensRemaining = "X-Budget-Tokens-Remaining"
	HeaderBudgetTimeRemainingMs = "X-Budget-Time-Remaining-Ms"
	HeaderBudgetCostRemaining   = "X-Budget-Cost-Remaining"
)

// Other headers of the contract.
const (
	HeaderCorrelationID = "X-Correlation-Id"
	HeaderBackoffMs     = "X-Backoff-Ms"
	HeaderRetryAfter    = "Retry-After"
	HeaderTrustPolicy   = "X-Trust-Policy"
	HeaderSessionID     = "X-Session-Id"
	HeaderLastEventID   = "Last-Event-ID"
)
