package e2e

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §4: the ollama engine kind, against the simulated engine's
// Ollama API (tools/simengine/ollama.go). The same flows against a real
// Ollama are in e2e/realengine (make e2e).

func startOllamaSim(t *testing.T, args ...string) *proc {
	t.Helper()
	sim := startSim(t, append([]string{"--slots", "2"}, args...)...)
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n", []poolCfg{
		{ID: "ollama-0", Engine: "ollama", URL: sim.URL, Models: []string{"tiny"}, Slots: 2},
	})
	waitPoolsReady(t, o, "ollama-0")
	return o
}

func TestOllamaPoolStreamsTask(t *testing.T) {
	is := is.New(t)
	o := startOllamaSim(t)
	adm := admit(t, o, `{"workload":"completion","model_ref":"tiny","engine":"ollama","prompt":"Hi","max_tokens":12,"seed":4}`)
	frames := stream(t, o, adm)
	end := decode[wire.EndFrame](t, lastFrame(t, frames).Data)
	_, n := tokensOf(frames)
	is.Equal(n, 12)                               // streamed through /api/generate
	is.Equal(end.TokensOut, 12)                   // the done line's eval_count
	is.Equal(end.FinishReason, wire.FinishLength) // done_reason length
	st := status(t, o, adm.TaskID)
	is.Equal(st.Engine, wire.Engine("ollama")) // placed on the ollama pool
	is.Equal(st.State, wire.TaskCompleted)     // completed
}

func TestOllamaPoolWorkerReset(t *testing.T) {
	is := is.New(t)
	o := startOllamaSim(t, "--drop-after", "3")
	adm := admit(t, o, `{"workload":"completion","model_ref":"tiny","prompt":"Hi","max_tokens":20}`)
	frames := stream(t, o, adm)
	last := lastFrame(t, frames)
	is.Equal(last.Event, wire.EventError)                                      // ended
	is.Equal(decode[wire.ErrorFrame](t, last.Data).Code, wire.CodeWorkerReset) // the engine vanished mid-stream
	_, n := tokensOf(frames)
	is.Equal(n, 3) // the tokens before the drop were delivered
}
