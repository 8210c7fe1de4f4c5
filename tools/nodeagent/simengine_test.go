package nodeagent_test

import (
	"net/http/httptest"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/nodeagent"
	"github.com/orchestratord/orchestratord/tools/simengine"
)

// TestAgainstSimengine probes the project's simulated engine, which speaks
// llama.cpp's, vLLM's and Ollama's probe endpoints byte for byte.
func TestAgainstSimengine(t *testing.T) {
	cases := []struct {
		name, engine string
		flavor       simengine.Flavor
		slotsFree    int // -1: not reported
		models       []string
		ctx          int
	}{
		{"llamacpp", "llamacpp", simengine.FlavorLlamaCpp, 3, []string{"tiny"}, 2048},
		{"vllm", "vllm", simengine.FlavorVLLM, -1, []string{"tiny"}, 2048},
		{"ollama", "ollama", simengine.FlavorLlamaCpp, -1, []string{"tiny"}, 2048},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			sim, err := simengine.New(simengine.WithSlots(3), simengine.WithModels("tiny"), simengine.WithCtx(2048), simengine.WithFlavor(tc.flavor))
			is.NoErr(err) // simengine built
			srv := httptest.NewServer(sim)
			defer srv.Close()
			orch := newFakeOrchestrator(t)
			h := start(t, orch, nodeagent.EngineSpec{PoolID: "sim", Engine: tc.engine, URL: srv.URL})
			h.clock.next(t)

			v, ok := orch.registry().Pool("sim")
			is.True(ok)                                   // registered
			is.True(v.Report.Ready)                       // probed ready
			is.Equal(v.Report.SlotsFree, tc.slotsFree)    // free slots where the engine tells them
			is.Equal(v.Report.ModelsAvailable, tc.models) // the model the engine serves
			is.Equal(v.CtxMax, tc.ctx)                    // its context from the probe
			is.Equal(v.Report.LastError, "")              // no error
		})
	}
}
