package nodeagent_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/tools/nodeagent"
)

func ollamaSpec(url string) nodeagent.EngineSpec {
	return nodeagent.EngineSpec{PoolID: "gpu1-ollama", Engine: "ollama", URL: url, Models: []string{"llama3:8b"}, Slots: 2}
}

func TestOllamaProbe(t *testing.T) {
	is := is.New(t)
	ollama := newFakeOllama(t, []string{"qwen2:7b", "llama3:8b", "bad name"}, []string{"llama3:8b"})
	orch := newFakeOrchestrator(t)
	start(t, orch, ollamaSpec(ollama.srv.URL)).clock.next(t)

	v, ok := orch.registry().Pool("gpu1-ollama")
	is.True(ok)               // registered
	is.Equal(v.SlotsTotal, 2) // the configured slots: Ollama reports none
	is.Equal(v.Report, nodeapi.PoolReport{PoolID: "gpu1-ollama", Ready: true, SlotsFree: -1, SlotsTotal: 2,
		ModelsAvailable: []string{"llama3:8b", "qwen2:7b"}, EngineVersion: "0.6.2"}) // loaded first, invalid names dropped, no slots_free
}

func TestOllamaReload(t *testing.T) {
	is := is.New(t)
	ollama := newFakeOllama(t, []string{"llama3:8b", "qwen2:7b"}, []string{"llama3:8b"})
	orch := newFakeOrchestrator(t)
	h := start(t, orch, ollamaSpec(ollama.srv.URL))
	h.clock.next(t)

	gate := make(chan struct{})
	ollama.mu.Lock()
	ollama.gate = gate
	ollama.mu.Unlock()
	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/reload", nodeToken, `{"new_model_ref":"qwen2:7b"}`).StatusCode, http.StatusAccepted) // accepted
	v := h.until(t, "gpu1-ollama", func(v nodeapi.PoolView) bool { return v.Report.Draining })
	is.True(!v.Report.Ready)                                                                                                        // not ready while switching
	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/reload", nodeToken, `{"new_model_ref":"llama3:8b"}`).StatusCode, http.StatusConflict) // one reload at a time
	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/purge", nodeToken, `{"purge_models":["x"]}`).StatusCode, http.StatusConflict)         // no purge meanwhile
	close(gate)

	v = h.until(t, "gpu1-ollama", func(v nodeapi.PoolView) bool {
		return !v.Report.Draining && v.Report.ModelsAvailable[0] == "qwen2:7b"
	})
	is.True(v.Report.Ready)                                                 // ready again
	is.Equal(v.Report.LastError, "")                                        // no error
	is.Equal(v.Report.ModelsAvailable[0], "qwen2:7b")                       // the new model is the loaded one
	is.Equal(ollama.Calls(), []string{"load qwen2:7b", "unload llama3:8b"}) // loaded the new model, then freed the old

	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/reload", nodeToken, `{"new_model_ref":"missing:1b"}`).StatusCode, http.StatusAccepted) // accepted
	v = h.until(t, "gpu1-ollama", func(v nodeapi.PoolView) bool { return v.Report.LastError != "" })
	is.True(strings.Contains(v.Report.LastError, "model 'missing:1b' not found")) // last_error says why
	is.True(strings.Contains(v.Report.LastError, "stays on qwen2:7b"))            // and on which model the pool stays
	is.True(v.Report.Ready && !v.Report.Draining)                                 // still ready
	is.Equal(v.Report.ModelsAvailable[0], "qwen2:7b")                             // nothing was unloaded
}

func TestOllamaPurge(t *testing.T) {
	is := is.New(t)
	ollama := newFakeOllama(t, []string{"llama3:8b", "qwen2:7b", "phi3:mini"}, []string{"llama3:8b"})
	orch := newFakeOrchestrator(t)
	h := start(t, orch, ollamaSpec(ollama.srv.URL))
	h.clock.next(t)

	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/purge", nodeToken, `{"purge_models":["phi3:mini","llama3:8b"]}`).StatusCode, http.StatusAccepted) // accepted
	v := h.until(t, "gpu1-ollama", func(v nodeapi.PoolView) bool {
		return v.Report.LastError != "" && len(v.Report.ModelsAvailable) == 2
	})
	is.True(strings.Contains(v.Report.LastError, "llama3:8b is loaded; purge with force")) // a loaded model needs force
	is.Equal(v.Report.ModelsAvailable, []string{"llama3:8b", "qwen2:7b"})                  // the other one is gone

	is.Equal(h.post(t, "/v2/pools/gpu1-ollama/purge", nodeToken, `{"purge_models":["llama3:8b"],"force":true,"drain_first":true}`).StatusCode, http.StatusAccepted) // accepted
	v = h.until(t, "gpu1-ollama", func(v nodeapi.PoolView) bool {
		return v.Report.LastError == "" && !v.Report.Draining && len(v.Report.ModelsAvailable) == 1
	})
	is.Equal(v.Report.ModelsAvailable, []string{"qwen2:7b"})                                       // purged
	is.Equal(ollama.Calls(), []string{"delete phi3:mini", "unload llama3:8b", "delete llama3:8b"}) // unloaded before deleting
}

func TestEngineDown(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	spec := llamaSpec(llama.srv.URL)
	spec.Models = nil
	h := start(t, orch, spec)
	w := h.clock.next(t)
	v, _ := orch.registry().Pool("gpu1-llama")
	is.Equal(len(v.Models), 0)                 // the engine's model path is no model id: nothing advertised
	is.Equal(len(v.Report.ModelsAvailable), 0) // in the heartbeat either

	llama.srv.Close()
	w.fire()
	h.clock.next(t)
	v, _ = orch.registry().Pool("gpu1-llama")
	is.True(!v.Report.Ready)                                  // not ready
	is.True(strings.HasPrefix(v.Report.LastError, "probe: ")) // the probe failure is the last error
	is.Equal(v.Report.SlotsFree, -1)                          // slots unknown
}

func TestRegistrationFollowsTheEngineOnceReady(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 8)
	llama.loading.Store(true)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	w := h.clock.next(t)
	v, _ := orch.registry().Pool("gpu1-llama")
	is.Equal(v.SlotsTotal, 1)        // a loading engine: one slot until it tells
	is.True(!v.Report.Ready)         // not ready
	is.Equal(v.Report.LastError, "") // loading is no error

	llama.loading.Store(false)
	w.fire()
	w = h.clock.next(t)
	v, _ = orch.registry().Pool("gpu1-llama")
	is.Equal(v.SlotsTotal, 8) // registered again with the probed slots
	is.Equal(v.CtxMax, 4096)  // and context
	is.True(v.Report.Ready)   // heartbeated in the same round

	llama.loading.Store(true) // the engine restarts
	w.fire()
	h.clock.next(t)
	v, _ = orch.registry().Pool("gpu1-llama")
	is.Equal(v.SlotsTotal, 8) // the registration stands
	is.True(!v.Report.Ready)  // only the heartbeat says not ready
}
