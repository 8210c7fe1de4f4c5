package tasks

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

func newSessions(t *testing.T, limits sessions.Budgets) *sessions.Store {
	t.Helper()
	s, err := sessions.New(time.Minute, limits, sessions.WithCostPerToken(0.5))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func inSession(id string, extra func(*wire.TaskRequest)) wire.TaskRequest {
	return req(func(r *wire.TaskRequest) {
		r.SessionID = id
		if extra != nil {
			extra(r)
		}
	})
}

// metricsAfterFirstToken is the metrics frame that follows the first token.
func metricsAfterFirstToken(t *testing.T, frames []streaming.Frame) wire.MetricsFrame {
	t.Helper()
	for i, f := range frames {
		if f.Event == wire.EventToken {
			for _, g := range frames[i:] {
				if g.Event == wire.EventMetrics {
					var m wire.MetricsFrame
					if err := json.Unmarshal(g.Data, &m); err != nil {
						t.Fatal(err)
					}
					return m
				}
			}
		}
	}
	t.Fatal("no metrics frame after the first token")
	return wire.MetricsFrame{}
}

func TestBudgetSpentAtEndAndEnforcedAtAdmission(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a", "b", "c"})}
	h := newHarnessWith(t, Options{}, newSessions(t, sessions.Budgets{Tokens: 5, Cost: 10}), fakeEngines{"p1": eng}, pool("p1", 2))
	ctx := context.Background()

	first, err := h.svc.Admit(ctx, inSession("s1", nil))
	is.NoErr(err)                                         // admitted
	is.Equal(*first.Budget.TokensRemaining, int64(5))     // nothing spent yet
	is.Equal(*first.Budget.CostRemaining, 10.0)           // cost budget too
	is.Equal(first.Budget.TimeRemainingMs, (*int64)(nil)) // unlimited: no header
	frames := waitEnd(t, h, first.TaskID)
	m := metricsAfterFirstToken(t, frames)
	is.Equal(*m.TokensBudgetRemaining, int64(5)) // the stream's metrics frame carries the budget
	is.True(!m.KVWarmth)                         // the first turn finds no warm cache

	second, err := h.svc.Admit(ctx, inSession("s1", nil))
	is.NoErr(err)                                      // 2 tokens left: admitted
	is.Equal(*second.Budget.TokensRemaining, int64(2)) // 3 spent
	is.Equal(*second.Budget.CostRemaining, 8.5)        // 3 × 0.5 spent
	waitEnd(t, h, second.TaskID)

	_, err = h.svc.Admit(ctx, inSession("s1", nil))
	p, ok := problem.As(err)
	is.True(ok)                                        // refused
	is.Equal(p.Code, wire.CodeBudgetExhausted)         // budget spent
	is.Equal(p.Policy, wire.PolicyBudget)              // policy label budget
	is.True(p.Retriable)                               // retriable
	is.True(p.RetryAfter > 0)                          // after the session expires
	is.Equal(*p.Budget.TokensRemaining, int64(0))      // clamped at 0
	_, err = h.svc.Admit(ctx, inSession("other", nil)) // other sessions are not affected
	is.NoErr(err)                                      // admitted

	st, err := h.svc.Session(ctx, "s1")
	is.NoErr(err)                                 // known
	is.Equal(st.Turns, 2)                         // two turns ran
	is.Equal(st.LastPoolID, "p1")                 // on p1
	is.True(st.KVWarmth)                          // which is warm
	is.Equal(*st.TokensBudgetRemaining, int64(0)) // spent
}

func TestKVReuseLandsOnThePreviousPool(t *testing.T) {
	is := is.New(t)
	engines := fakeEngines{
		"a": {name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"x"})},
		"b": {name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"y"})},
	}
	h := newHarnessWith(t, Options{}, newSessions(t, sessions.Budgets{}), engines, pool("a", 1), pool("b", 4))
	ctx := context.Background()
	pinA := func(r *wire.TaskRequest) {
		r.Placement = &wire.PlacementRequest{Mode: wire.PlacementPin, PinPoolID: "a"}
	}
	first, err := h.svc.Admit(ctx, inSession("s", pinA))
	is.NoErr(err)
	waitEnd(t, h, first.TaskID)

	cold, err := h.svc.Admit(ctx, inSession("s", nil))
	is.NoErr(err)
	waitEnd(t, h, cold.TaskID)
	st, _ := h.svc.Status(ctx, cold.TaskID)
	is.Equal(st.PoolID, "b") // without kv_hint, least-loaded picks b

	pinAgain, err := h.svc.Admit(ctx, inSession("s", pinA))
	is.NoErr(err)
	waitEnd(t, h, pinAgain.TaskID)
	// The slot is given back before the end frame goes out, so a turn sent
	// on reading `end` finds it free.
	is.Equal(h.svc.Leases("a"), 0) // a's one slot is free once end is visible
	reuse, err := h.svc.Admit(ctx, inSession("s", func(r *wire.TaskRequest) { r.KVHint = wire.KVHintReuse }))
	is.NoErr(err)
	frames := waitEnd(t, h, reuse.TaskID)
	st, _ = h.svc.Status(ctx, reuse.TaskID)
	is.Equal(st.PoolID, "a")                            // kv_hint reuse: the previous turn's pool
	is.True(metricsAfterFirstToken(t, frames).KVWarmth) // where the cache was warm
}

func TestStrictDeterminismRequiresThePreviousPool(t *testing.T) {
	is := is.New(t)
	store := newSessions(t, sessions.Budgets{})
	h := newHarnessWith(t, Options{}, store, fakeEngines{}, pool("a", 1))
	store.Begin("s")
	store.Served("s", "a")
	tests := []struct {
		name     string
		spec     Spec
		affinity string
		strict   bool
	}{
		{"strict", Spec{SessionID: "s", Strict: true}, "a", true},
		{"reuse", Spec{SessionID: "s", KVReuse: true}, "a", false},
		{"cold", Spec{SessionID: "s"}, "", false},
		{"no session", Spec{Strict: true, KVReuse: true}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			req := h.svc.placementRequest(&record{spec: tt.spec})
			is.Equal(req.AffinityPool, tt.affinity) // the session's last pool when asked for
			is.Equal(req.Strict, tt.strict)         // strict only with determinism strict
		})
	}
	is.Equal(store.Len(), 1) // reading affinity creates no session
}

func TestDeleteSession(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a"})}
	h := newHarnessWith(t, Options{}, nil, fakeEngines{"p1": eng}, pool("p1", 1))
	ctx := context.Background()
	_, err := h.svc.Session(ctx, "s")
	p, _ := problem.As(err)
	is.Equal(p.Code, wire.CodeNotFound) // unknown before its first task
	adm, err := h.svc.Admit(ctx, inSession("s", nil))
	is.NoErr(err)
	is.Equal(adm.Budget, wire.Budget{}) // the default store has no budgets: no headers
	waitEnd(t, h, adm.TaskID)
	st, err := h.svc.Session(ctx, "s")
	is.NoErr(err)                                     // created by the task
	is.True(st.TTLMsRemaining > 0)                    // with a TTL
	is.Equal(st.TokensBudgetRemaining, (*int64)(nil)) // unlimited: omitted
	is.NoErr(h.svc.DeleteSession(ctx, "s"))           // deleted
	err = h.svc.DeleteSession(ctx, "s")
	p, _ = problem.As(err)
	is.Equal(p.Code, wire.CodeNotFound) // gone
}

func TestPromptTokensKept(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(_ context.Context, _ engine.Request, emit func([]string) error) (engine.Result, error) {
		if err := emit([]string{"a"}); err != nil {
			return engine.Result{}, err
		}
		return engine.Result{TokensOut: 1, PromptTokens: 11, FinishReason: engine.FinishStop}, nil
	}}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
	adm, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	waitEnd(t, h, adm.TaskID)
	is.Equal(h.svc.PromptTokens(adm.TaskID), 11) // the engine's count, readable once the end frame is
	is.Equal(h.svc.PromptTokens("unknown"), 0)   // unknown task
}

func TestStreamCarriesTheBudget(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a", "b"})}
	h := newHarnessWith(t, Options{}, newSessions(t, sessions.Budgets{Tokens: 10, Time: time.Hour}), fakeEngines{"p1": eng}, pool("p1", 1))
	ctx := context.Background()
	adm, err := h.svc.Admit(ctx, inSession("s", nil))
	is.NoErr(err)
	waitEnd(t, h, adm.TaskID)
	_, b, err := h.svc.Stream(ctx, adm.TaskID)
	is.NoErr(err)                           // the stream
	is.Equal(*b.TokensRemaining, int64(8))  // after this task's 2 tokens
	is.True(*b.TimeRemainingMs <= 3600_000) // decode time spent
	plain, err := h.svc.Admit(ctx, req(nil))
	is.NoErr(err)
	_, b, err = h.svc.Stream(ctx, plain.TaskID)
	is.NoErr(err)              // a task without a session
	is.Equal(b, wire.Budget{}) // has no budget headers
}
