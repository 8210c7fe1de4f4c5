package sessions

import (
	"math"
	"time"
)

// Budgets are a session's limits; a zero field is unlimited.
type Budgets struct {
	Tokens int64
	Time   time.Duration // decode time
	Cost   float64
}

// Usage is what a session has spent.
type Usage struct {
	Tokens int64
	Time   time.Duration
	Cost   float64
}

// Turn is what one ended task spends.
type Turn struct {
	Tokens int64         // tokens generated (tokens_out)
	Decode time.Duration // decode time (decode_ms)
	Placed bool          // the task ran on a pool: it counts as a turn
}

// Budget names returned by Snapshot.ExhaustedBudget.
const (
	BudgetTokens = "tokens"
	BudgetTime   = "time"
	BudgetCost   = "cost"
)

// costPrecision is the rounding of the cost left: sums of per-token costs
// carry binary rounding noise that nobody wants to read in a header.
const costPrecision = 1e9

// Snapshot is a session as it was when read. It holds metadata only.
type Snapshot struct {
	ID string
	// TTLRemaining is the time left before the session expires; while it
	// has active tasks, the full TTL (it cannot expire before they end).
	TTLRemaining time.Duration
	Turns        int    // tasks of the session that ran on a pool and ended
	Active       int    // tasks admitted and not ended
	LastPoolID   string // pool that produced the last turn's first token
	KVWarm       bool   // LastPoolID holds the session's context
	Limits       Budgets
	Spent        Usage
}

// TokensRemaining is the token budget left, at least 0; false when
// unlimited.
func (s Snapshot) TokensRemaining() (int64, bool) {
	if s.Limits.Tokens == 0 {
		return 0, false
	}
	return max(s.Limits.Tokens-s.Spent.Tokens, 0), true
}

// TimeRemaining is the decode-time budget left, at least 0; false when
// unlimited.
func (s Snapshot) TimeRemaining() (time.Duration, bool) {
	if s.Limits.Time == 0 {
		return 0, false
	}
	return max(s.Limits.Time-s.Spent.Time, 0), true
}

// CostRemaining is the cost budget left, at least 0 and rounded to 1e-9;
// false when unlimited.
func (s Snapshot) CostRemaining() (float64, bool) {
	if s.Limits.Cost == 0 {
		return 0, false
	}
	left := math.Round((s.Limits.Cost-s.Spent.Cost)*costPrecision) / costPrecision
	return max(left, 0), true
}

// ExhaustedBudget names the first spent budget (BudgetTokens, BudgetTime,
// BudgetCost), "" when none is.
func (s Snapshot) ExhaustedBudget() string {
	if n, ok := s.TokensRemaining(); ok && n == 0 {
		return BudgetTokens
	}
	if d, ok := s.TimeRemaining(); ok && d == 0 {
		return BudgetTime
	}
	if c, ok := s.CostRemaining(); ok && c == 0 {
		return BudgetCost
	}
	return ""
}
