package nodeagent_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

func TestRegistersAndHeartbeatsProbedSlots(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 4)
	llama.busy.Store(1)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))

	w := h.clock.next(t)
	is.Equal(w.d, interval) // waits the interval the orchestrator asked for

	n, ok := orch.registry().Node("gpu-1")
	is.True(ok)                    // registered
	is.Equal(n.Address, h.control) // the control API's URL is the address
	is.Equal(n.MachineID, "m-1")   // machine id sent
	is.Equal(n.CPUCores, 8)        // capabilities sent
	is.True(n.Online)              // online
	p := n.Pools[0]
	is.Equal(p.PoolSpec, nodeapi.PoolSpec{PoolID: "gpu1-llama", Engine: "llamacpp", URL: llama.srv.URL,
		Models: []string{"org/llama-3-8b"}, SlotsTotal: 4, CtxMax: 4096}) // slots and ctx from the probe
	is.True(p.Reported) // a heartbeat followed the registration
	is.Equal(p.Report, nodeapi.PoolReport{PoolID: "gpu1-llama", Ready: true, SlotsFree: 3, SlotsTotal: 4,
		ModelsAvailable: []string{"org/llama-3-8b"}, EngineVersion: "b4242-abcdef"}) // the probed state

	llama.busy.Store(4)
	w.fire()
	w = h.clock.next(t)
	is.Equal(w.d, interval) // the next round waits the interval again
	v, _ := orch.registry().Pool("gpu1-llama")
	is.Equal(v.Report.SlotsFree, 0)               // every slot busy, probed on this interval
	is.Equal(llama.healthProbes.Load(), int32(2)) // one probe per round
}

func TestReRegistersWhenTheOrchestratorForgetsTheNode(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	w := h.clock.next(t)

	is.NoErr(orch.registry().Deregister("gpu-1")) // the registry forgets the node
	w.fire()
	w = h.clock.next(t)
	is.Equal(w.d, interval) // no backoff: the 404 re-registered at once
	v, ok := orch.registry().Pool("gpu1-llama")
	is.True(ok)                     // registered again
	is.True(v.Reported)             // and heartbeated in the same round
	is.Equal(v.Report.SlotsFree, 2) // with the probed state

	orch.restart() // a restarted orchestrator knows no node
	w.fire()
	w = h.clock.next(t)
	is.Equal(w.d, interval) // no backoff
	_, ok = orch.registry().Node("gpu-1")
	is.True(ok) // registered with the new orchestrator
}

func TestBacksOffWhileTheOrchestratorIsDown(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	w := h.clock.next(t)

	orch.down.Store(true)
	var waits []time.Duration
	for range 5 {
		w.fire()
		w = h.clock.next(t)
		waits = append(waits, w.d)
	}
	is.Equal(waits, []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second,
		3 * time.Second, 3 * time.Second}) // doubling with jitter, capped at 4s

	orch.restart() // it comes back without its nodes
	orch.down.Store(false)
	w.fire()
	w = h.clock.next(t)
	is.Equal(w.d, interval) // back to the interval
	v, ok := orch.registry().Pool("gpu1-llama")
	is.True(ok && v.Reported) // registered and heartbeated again

	orch.down.Store(true)
	w.fire()
	w = h.clock.next(t)
	is.Equal(w.d, 750*time.Millisecond) // the backoff was reset by the success
}

func TestDrainShowsInTheNextHeartbeat(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	h.clock.next(t)

	resp := h.post(t, "/v2/pools/gpu1-llama/drain", nodeToken, `{"deadline_ms":30000}`)
	is.Equal(resp.StatusCode, http.StatusAccepted) // accepted
	h.clock.next(t)                                // the drain asked for a heartbeat at once
	v, _ := orch.registry().Pool("gpu1-llama")
	is.True(v.Report.Draining) // draining in the heartbeat
	is.True(v.Report.Ready)    // the engine itself is still ready
}

func TestControlAPIAuth(t *testing.T) {
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	h.clock.next(t)
	cases := []struct {
		name, path, token, body string
		status                  int
	}{
		{"no token", "/v2/pools/gpu1-llama/drain", "", `{"deadline_ms":1}`, http.StatusUnauthorized},
		{"wrong token", "/v2/pools/gpu1-llama/drain", "api-token", `{"deadline_ms":1}`, http.StatusForbidden},
		{"unknown pool", "/v2/pools/nope/drain", nodeToken, `{"deadline_ms":1}`, http.StatusNotFound},
		{"malformed body", "/v2/pools/gpu1-llama/drain", nodeToken, `{"deadline_ms":`, http.StatusBadRequest},
		{"negative deadline", "/v2/pools/gpu1-llama/drain", nodeToken, `{"deadline_ms":-1}`, http.StatusBadRequest},
		{"bad model ref", "/v2/pools/gpu1-llama/reload", nodeToken, `{"new_model_ref":"a b"}`, http.StatusBadRequest},
		{"nothing to purge", "/v2/pools/gpu1-llama/purge", nodeToken, `{"purge_models":[]}`, http.StatusBadRequest},
		{"unknown route", "/v2/pools/gpu1-llama/explode", nodeToken, `{}`, http.StatusNotFound},
		{"no token on unknown route", "/v2/other", "", `{}`, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(h.post(t, tc.path, tc.token, tc.body).StatusCode, tc.status) // refused as the contract says
		})
	}
	t.Run("nothing changed", func(t *testing.T) {
		is := is.New(t)
		v, _ := orch.registry().Pool("gpu1-llama")
		is.True(!v.Report.Draining) // no refused request drained the pool
	})
}

func TestLlamaCppCannotReload(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	h.clock.next(t)

	is.Equal(h.post(t, "/v2/pools/gpu1-llama/drain", nodeToken, `{"deadline_ms":1}`).StatusCode, http.StatusAccepted)              // drained first
	is.Equal(h.post(t, "/v2/pools/gpu1-llama/reload", nodeToken, `{"new_model_ref":"org/other"}`).StatusCode, http.StatusAccepted) // accepted
	v := h.until(t, "gpu1-llama", func(v nodeapi.PoolView) bool { return v.Report.LastError != "" })
	is.True(strings.Contains(v.Report.LastError, "cannot switch models")) // last_error says why
	is.Equal(v.Report.ModelsAvailable, []string{"org/llama-3-8b"})        // still on the old model
	is.True(v.Report.Ready && !v.Report.Draining)                         // and ready again
}

func TestShutdownDeregisters(t *testing.T) {
	is := is.New(t)
	llama := newFakeLlama(t, 2)
	orch := newFakeOrchestrator(t)
	h := start(t, orch, llamaSpec(llama.srv.URL))
	h.clock.next(t)
	_, ok := orch.registry().Node("gpu-1")
	is.True(ok) // registered

	is.NoErr(h.stop()) // Run returns nil
	_, ok = orch.registry().Node("gpu-1")
	is.True(!ok) // deregistered on the way out
}
