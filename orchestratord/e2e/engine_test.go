package e2e

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §4: engines, retries before the first token, failures after it.

func lastFrame(t *testing.T, frames []frame) frame {
	t.Helper()
	if len(frames) == 0 {
		t.Fatal("empty stream")
	}
	return frames[len(frames)-1]
}

func TestRetryOnAnotherPoolBeforeFirstToken(t *testing.T) {
	is := is.New(t)
	bad := startSim(t, "--slots", "4", "--fail-before-first", "-1")
	good := startSim(t, "--slots", "4")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n", []poolCfg{
		{ID: "a-bad", Engine: "llamacpp", URL: bad.URL, Models: []string{"tiny"}, Slots: 4},
		{ID: "b-good", Engine: "llamacpp", URL: good.URL, Models: []string{"tiny"}, Slots: 4},
	})
	waitPoolsReady(t, o, "a-bad", "b-good")
	for range 4 {
		adm := admit(t, o, task(`,"max_tokens":5,"placement":{"mode":"prefer","prefer_pools":["a-bad"]}`))
		frames := stream(t, o, adm)
		is.Equal(lastFrame(t, frames).Event, wire.EventEnd) // the client never sees the failure
		_, n := tokensOf(frames)
		is.Equal(n, 5)                                      // all tokens, from the good pool
		is.Equal(status(t, o, adm.TaskID).PoolID, "b-good") // where it ran
	}
	is.True(simStats(t, bad).Failed >= 4) // the bad pool was tried first
}

func TestEngineErrorWhenRetriesRunOut(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "dispatch: {retries: 2}\n", 2, "--fail-before-first", "-1")
	adm := admit(t, o, task(`,"max_tokens":5`))
	last := lastFrame(t, stream(t, o, adm))
	is.Equal(last.Event, wire.EventError) // failed
	ef := decode[wire.ErrorFrame](t, last.Data)
	is.Equal(ef.Code, wire.CodeEngineError)      // the engine kept failing
	is.Equal(ef.Engine, wire.Engine("llamacpp")) // names the engine
	is.Equal(status(t, o, adm.TaskID).State, wire.TaskFailed)
}

func TestWorkerResetAfterFirstToken(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 2, "--drop-after", "3")
	adm := admit(t, o, task(`,"max_tokens":20`))
	frames := stream(t, o, adm)
	last := lastFrame(t, frames)
	is.Equal(last.Event, wire.EventError)                                      // ended
	is.Equal(decode[wire.ErrorFrame](t, last.Data).Code, wire.CodeWorkerReset) // engine vanished
	_, n := tokensOf(frames)
	is.Equal(n, 3) // the tokens before the drop were delivered
}

func TestDecodeTimeout(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "dispatch: {token_timeout_ms: 200}\n", 2, "--hang-after", "2")
	adm := admit(t, o, task(`,"max_tokens":20`))
	frames := stream(t, o, adm)
	last := lastFrame(t, frames)
	is.Equal(last.Event, wire.EventError)                                        // ended
	is.Equal(decode[wire.ErrorFrame](t, last.Data).Code, wire.CodeDecodeTimeout) // no token in time
}

func TestOpenAICompatiblePool(t *testing.T) {
	is := is.New(t)
	sim := startSim(t, "--slots", "2", "--flavor", "vllm", "--model", "org/tiny")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n", []poolCfg{
		{ID: "vllm-0", Engine: "vllm", URL: sim.URL, Models: []string{"org/tiny"}, Slots: 2},
	})
	adm := admit(t, o, `{"workload":"completion","model_ref":"org/tiny","prompt":"Hi","max_tokens":12}`)
	frames := stream(t, o, adm)
	end := decode[wire.EndFrame](t, lastFrame(t, frames).Data)
	_, n := tokensOf(frames)
	is.Equal(n, 12)             // streamed through /v1/completions
	is.Equal(end.TokensOut, 12) // usage counted
}

func TestLoadingPoolHoldsTasksUntilReady(t *testing.T) {
	is := is.New(t)
	sim := startSim(t, "--slots", "1", "--loading")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n", []poolCfg{
		{ID: "sim-0", Engine: "llamacpp", URL: sim.URL, Models: []string{"tiny"}, Slots: 1},
	})
	adm := admit(t, o, task(`,"max_tokens":3`))
	is.Equal(status(t, o, adm.TaskID).State, wire.TaskQueued) // queued
	simFaults(t, sim, `{"loading":false}`)
	frames := stream(t, o, adm)
	is.Equal(lastFrame(t, frames).Event, wire.EventEnd) // ran once the pool was ready
}
