package wire

import (
	"net/http"
	"strconv"
)

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

// Budget is what is left of a session's budgets: sent as the X-Budget-*
// headers on the 202 of POST /v2/tasks, on the task's event stream and on
// the OpenAI-compatible responses. A nil field is an unlimited budget,
// whose header is not sent.
type Budget struct {
	TokensRemaining *int64
	TimeRemainingMs *int64
	CostRemaining   *float64
}

// SetHeaders sets the header of every limited budget on h. The header
// names are canonical, so they are assigned without re-canonicalizing, and
// the values share one allocation.
func (b Budget) SetHeaders(h http.Header) {
	if b.TokensRemaining == nil && b.TimeRemainingMs == nil && b.CostRemaining == nil {
		return
	}
	vals := make([]string, 0, 3)
	put := func(name, v string) {
		vals = append(vals, v)
		h[name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	if b.TokensRemaining != nil {
		put(HeaderBudgetTokensRemaining, strconv.FormatInt(*b.TokensRemaining, 10))
	}
	if b.TimeRemainingMs != nil {
		put(HeaderBudgetTimeRemainingMs, strconv.FormatInt(*b.TimeRemainingMs, 10))
	}
	if b.CostRemaining != nil {
		put(HeaderBudgetCostRemaining, strconv.FormatFloat(*b.CostRemaining, 'f', -1, 64))
	}
}

// Other headers of the contract.
const (
	HeaderCorrelationID = "X-Correlation-Id"
	HeaderBackoffMs     = "X-Backoff-Ms"
	HeaderRetryAfter    = "Retry-After"
	HeaderTrustPolicy   = "X-Trust-Policy"
	HeaderSessionID     = "X-Session-Id"
	HeaderLastEventID   = "Last-Event-ID"
)
