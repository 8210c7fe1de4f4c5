package pools

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func code(err error) wire.ErrorCode {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	return ""
}

func TestValidationAndUnknownPools(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		code  wire.ErrorCode
		field string
	}{
		{"drain unknown", func() error { return f.svc.Drain(ctx, "nope", wire.DrainRequest{}) }, wire.CodeNotFound, ""},
		{"reload unknown", func() error { return f.svc.Reload(ctx, "nope", wire.ReloadRequest{NewModelRef: "m"}) }, wire.CodeNotFound, ""},
		{"purge unknown", func() error { return f.svc.Purge(ctx, "nope", wire.PurgeRequest{PurgeModels: []string{"m"}}) }, wire.CodeNotFound, ""},
		{"health unknown", func() error { _, err := f.svc.Health(ctx, "nope"); return err }, wire.CodeNotFound, ""},
		{"negative deadline", func() error { return f.svc.Drain(ctx, "st-0", wire.DrainRequest{DeadlineMs: -1}) }, wire.CodeInvalidParams, "deadline_ms"},
		{"no model", func() error { return f.svc.Reload(ctx, "st-0", wire.ReloadRequest{}) }, wire.CodeInvalidParams, "new_model_ref"},
		{"no purge models", func() error { return f.svc.Purge(ctx, "st-0", wire.PurgeRequest{}) }, wire.CodeInvalidParams, "purge_models"},
		{"bad purge model", func() error {
			return f.svc.Purge(ctx, "st-0", wire.PurgeRequest{PurgeModels: []string{"a", "b c"}})
		}, wire.CodeInvalidParams, "purge_models[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := tt.call()
			is.Equal(code(err), tt.code) // the contract's code
			p, _ := problem.As(err)
			is.Equal(p.Field, tt.field) // naming the field
		})
	}
}

func TestDrainHoldsAtOnceAndCancelsAtTheDeadline(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	is.NoErr(f.svc.Drain(context.Background(), "st-0", wire.DrainRequest{DeadlineMs: 20})) // drain
	is.True(f.control(t, "st-0").Draining)                                                 // held at once
	h, err := f.svc.Health(context.Background(), "st-0")
	is.NoErr(err)                        // health
	is.True(h.Draining)                  // shows it
	is.Equal(h.Metrics.QueueDepth, 3)    // with the task service's figures
	is.Equal(h.Metrics.TokensPerS, 42.0) // and its measured speed
	waitFor(t, "the deadline", func() bool { return len(f.tasks.Canceled()) == 1 })
	is.Equal(f.tasks.Canceled(), []string{"st-0"}) // running tasks canceled once
	is.Equal(len(f.agents.Calls()), 0)             // a static pool has no agent
}

func TestDrainWithoutDeadlineAndReplacedDeadline(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	is.NoErr(f.svc.Drain(context.Background(), "st-0", wire.DrainRequest{DeadlineMs: 10_000})) // a far deadline
	is.NoErr(f.svc.Drain(context.Background(), "st-0", wire.DrainRequest{}))                   // replaced by none
	f.stop()                                                                                   // stops pending timers
	is.Equal(len(f.tasks.Canceled()), 0)                                                       // nothing canceled
}

func TestDrainForwardsToTheAgent(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	is.NoErr(f.svc.Drain(context.Background(), "n1-0", wire.DrainRequest{}))        // drain
	is.Equal(f.agents.Calls(), []agentCall{{"http://agent", "n1-0", actionDrain}})  // forwarded
	f.agents.err = errors.New("connection refused")                                 // the agent is gone
	is.NoErr(f.svc.Drain(context.Background(), "n1-0", wire.DrainRequest{}))        // still accepted
	is.True(strings.Contains(f.control(t, "n1-0").LastError, "connection refused")) // and recorded
	is.True(f.control(t, "n1-0").Draining)                                          // our hold stands
}

func TestStaticReloadFailsAndReturnsToReady(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	is.NoErr(f.svc.Drain(context.Background(), "st-0", wire.DrainRequest{}))                       // drained first
	is.NoErr(f.svc.Reload(context.Background(), "st-0", wire.ReloadRequest{NewModelRef: "other"})) // reload
	waitFor(t, "the outcome", func() bool { return !f.control(t, "st-0").Reloading })
	c := f.control(t, "st-0")
	is.True(strings.Contains(c.LastError, "reload to other failed: the llamacpp engine cannot switch models")) // why
	is.True(!c.Draining)                                                                                       // ready again
	v, _ := f.reg.Pool("st-0")
	is.Equal(v.Models, []string{"tiny"}) // on the old model
}

func TestAgentReloadWaitsForIdleThenForOutcome(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.tasks.setLeases("n1-0", 1)
	is.NoErr(f.svc.Reload(context.Background(), "n1-0", wire.ReloadRequest{NewModelRef: "big"})) // reload
	err := f.svc.Reload(context.Background(), "n1-0", wire.ReloadRequest{NewModelRef: "big"})
	is.Equal(code(err), wire.CodeConflict) // a reload runs
	err = f.svc.Purge(context.Background(), "n1-0", wire.PurgeRequest{PurgeModels: []string{"x"}})
	is.Equal(code(err), wire.CodeConflict) // a purge too
	is.Equal(len(f.agents.Calls()), 0)     // a task still runs: not forwarded yet
	f.tasks.setLeases("n1-0", 0)
	waitFor(t, "the forward", func() bool { return len(f.agents.Calls()) == 1 })
	is.Equal(f.agents.Calls()[0].Action, actionReload) // forwarded once idle

	// The agent reports the switch, then heartbeats its end.
	is.NoErr(f.reg.Heartbeat("n1", []nodeapi.PoolReport{{PoolID: "n1-0", Draining: true, SlotsFree: -1}}))
	is.True(f.control(t, "n1-0").Reloading) // still running while the agent switches
	done := []nodeapi.PoolReport{{PoolID: "n1-0", Ready: true, SlotsFree: -1, ModelsAvailable: []string{"big"}}}
	waitFor(t, "the outcome", func() bool {
		_ = f.reg.Heartbeat("n1", done)
		return !f.control(t, "n1-0").Reloading
	})
	is.Equal(f.control(t, "n1-0").LastError, "") // success
}

func TestAgentRefusesReload(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.agents.err = &AgentError{Status: 409, Code: wire.CodeConflict, Message: "busy"}
	is.NoErr(f.svc.Reload(context.Background(), "n1-0", wire.ReloadRequest{NewModelRef: "big"})) // accepted here
	waitFor(t, "the outcome", func() bool { return !f.control(t, "n1-0").Reloading })
	is.True(strings.Contains(f.control(t, "n1-0").LastError, "409 CONFLICT: busy")) // the agent's refusal recorded
	err := f.svc.Purge(context.Background(), "n1-0", wire.PurgeRequest{PurgeModels: []string{"x"}})
	is.Equal(code(err), wire.CodeConflict) // a purge the agent refuses with 409 is 409
}

func TestReloadInterruptedByShutdown(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	f.tasks.setLeases("n1-0", 1)                                                                 // never idle
	is.NoErr(f.svc.Reload(context.Background(), "n1-0", wire.ReloadRequest{NewModelRef: "big"})) // reload
	f.stop()                                                                                     // shutdown waits for it
	c := f.control(t, "n1-0")
	is.True(!c.Reloading)                                   // ended
	is.True(strings.Contains(c.LastError, "shutting down")) // and why
}

func TestStaticPurgeFails(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	is.NoErr(f.svc.Purge(context.Background(), "st-0", wire.PurgeRequest{PurgeModels: []string{"tiny"}})) // accepted
	is.True(strings.Contains(f.control(t, "st-0").LastError, "cannot remove models"))                     // fails with why
	is.NoErr(f.svc.Purge(context.Background(), "n1-0", wire.PurgeRequest{PurgeModels: []string{"tiny"}})) // an agent pool
	is.Equal(f.agents.Calls(), []agentCall{{"http://agent", "n1-0", actionPurge}})                        // is forwarded
}

func TestListAndAvailability(t *testing.T) {
	is := is.New(t)
	f := newFixture(t)
	pools, err := f.svc.List(context.Background())
	is.NoErr(err)           // list
	is.Equal(len(pools), 2) // both pools
	is.NoErr(f.svc.Drain(context.Background(), "st-0", wire.DrainRequest{}))
	av, err := f.svc.Availability(context.Background())
	is.NoErr(err)                           // availability
	is.Equal(len(av), 1)                    // one model
	is.Equal(av[0].ModelID, "tiny")         // tiny
	is.Equal(av[0].Pools[0].PoolID, "n1-0") // pools by id
	is.True(av[0].Pools[0].Ready)           // takes work
	is.True(!av[0].Pools[1].Ready)          // the drained one does not
}
