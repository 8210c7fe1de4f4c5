package tasks

import (
	"context"
	"errors"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Sessions (api.md §3 "Sessions"): a task naming a session_id is checked
// against the session's budgets at admission, begins (or creates) the
// session once admitted, tells it the pool that produced its first token,
// and spends tokens_out, decode_ms and their cost when it ends.

// DefaultSessionTTL is the TTL of the session store New makes when Deps has
// none (api.md §10 sessions.ttl_ms default).
const DefaultSessionTTL = 10 * time.Minute

// defaultSessions is the store used when Deps.Sessions is nil: the default
// TTL and unlimited budgets.
func defaultSessions(now func() time.Time) (Sessions, error) {
	return sessions.New(DefaultSessionTTL, sessions.Budgets{}, sessions.WithClock(now))
}

// checkSession refuses a task on a session whose budget is spent: 429
// BUDGET_EXHAUSTED, policy budget, with the budget headers. The backoff is
// the time until the idle session expires, after which a new session with
// fresh budgets starts; a refused task does not refresh the TTL.
func (s *Service) checkSession(id string) error {
	if id == "" {
		return nil
	}
	snap, err := s.deps.Sessions.Check(id)
	if !errors.Is(err, sessions.ErrExhausted) {
		return nil
	}
	p := problem.Rejected(wire.CodeBudgetExhausted, wire.PolicyBudget, snap.TTLRemaining,
		"session %s has spent its %s budget", id, snap.ExhaustedBudget())
	b := budgetOf(snap)
	p.Budget = &b
	return p
}

// beginSession records an admitted task on its session.
func (s *Service) beginSession(id string) {
	if id != "" {
		s.deps.Sessions.Begin(id)
	}
}

// sessionBudget is what is left of a session's budgets, for the headers.
func (s *Service) sessionBudget(id string) wire.Budget {
	if id == "" {
		return wire.Budget{}
	}
	snap, ok := s.deps.Sessions.Get(id)
	if !ok {
		return wire.Budget{}
	}
	return budgetOf(snap)
}

// affinity fills the placement request's session affinity: kv_hint reuse
// prefers, and determinism strict requires, the pool that served the
// session's previous turn (libs/placement).
func (s *Service) affinity(req *placement.Request, sp *Spec) {
	if sp.SessionID == "" || !(sp.KVReuse || sp.Strict) {
		return
	}
	req.AffinityPool = s.deps.Sessions.LastPool(sp.SessionID)
	req.Strict = sp.Strict
}

// sessionServed tells the session which pool produced the task's first
// token and completes the task's first metrics frame: kv_warmth (the pool
// already held the session's context) and the budgets left.
func (s *Service) sessionServed(id, pool string, f *wire.MetricsFrame) {
	if id == "" {
		return
	}
	f.KVWarmth = s.deps.Sessions.Served(id, pool)
	b := s.sessionBudget(id)
	f.TokensBudgetRemaining, f.TimeBudgetRemainingMs, f.CostBudgetRemaining = b.TokensRemaining, b.TimeRemainingMs, b.CostRemaining
}

// endSession spends what an ended task used, as its end frame reports it
// (tokens_out and decode_ms); placed tells whether it ran on a pool.
func (s *Service) endSession(id string, tokens int, decode time.Duration, placed bool) {
	if id == "" {
		return
	}
	s.deps.Sessions.End(id, sessions.Turn{
		Tokens: int64(tokens), Decode: decode.Truncate(time.Millisecond), Placed: placed,
	})
}

// Session reports a session (GET /v2/sessions/{id}). kv_warmth holds only
// while the pool of the last turn is still registered and online.
func (s *Service) Session(_ context.Context, id string) (wire.Session, error) {
	snap, ok := s.deps.Sessions.Get(id)
	if !ok {
		return wire.Session{}, problem.New(wire.CodeNotFound, "session %s not found", id)
	}
	warm := false
	if snap.KVWarm {
		s.mu.Lock()
		s.refreshPoolsLocked()
		v, found := s.viewLocked(snap.LastPoolID)
		s.mu.Unlock()
		warm = found && v.Online
	}
	b := budgetOf(snap)
	return wire.Session{
		SessionID: snap.ID, TTLMsRemaining: snap.TTLRemaining.Milliseconds(), Turns: snap.Turns,
		KVWarmth: warm, LastPoolID: snap.LastPoolID, TokensBudgetRemaining: b.TokensRemaining,
		TimeBudgetRemainingMs: b.TimeRemainingMs, CostBudgetRemaining: b.CostRemaining,
	}, nil
}

// DeleteSession forgets a session (DELETE /v2/sessions/{id}). Its running
// tasks go on; they no longer spend, and the next task starts a new
// session.
func (s *Service) DeleteSession(_ context.Context, id string) error {
	if !s.deps.Sessions.Delete(id) {
		return problem.New(wire.CodeNotFound, "session %s not found", id)
	}
	return nil
}

// Stream returns a task's event log and its session's budgets left, for
// the headers of GET /v2/tasks/{id}/events.
func (s *Service) Stream(ctx context.Context, id string) (*streaming.Log, wire.Budget, error) {
	log, err := s.Log(ctx, id)
	if err != nil {
		return nil, wire.Budget{}, err
	}
	s.mu.Lock()
	var session string
	if r, ok := s.tasks[id]; ok {
		session = r.spec.SessionID
	} else if e, ok := s.finished[id]; ok {
		session = e.sessionID
	}
	s.mu.Unlock()
	return log, s.sessionBudget(session), nil
}

// budgetOf converts a snapshot's budgets left (nil = unlimited).
func budgetOf(snap sessions.Snapshot) wire.Budget {
	var b wire.Budget
	if n, ok := snap.TokensRemaining(); ok {
		b.TokensRemaining = &n
	}
	if d, ok := snap.TimeRemaining(); ok {
		ms := d.Milliseconds()
		b.TimeRemainingMs = &ms
	}
	if c, ok := snap.CostRemaining(); ok {
		b.CostRemaining = &c
	}
	return b
}
