package e2e

import (
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §5 Placement: model-aware, least-loaded spread, pin and avoid.
func TestModelAwarePlacement(t *testing.T) {
	is := is.New(t)
	a1 := startSim(t, "--slots", "4", "--model", "alpha", "--token-delay", "2ms")
	a2 := startSim(t, "--slots", "4", "--model", "alpha", "--token-delay", "2ms")
	b := startSim(t, "--slots", "4", "--model", "beta")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\nqueue: {capacity: 256}\n", []poolCfg{
		{ID: "p-a1", Engine: "llamacpp", URL: a1.URL, Models: []string{"alpha"}, Slots: 4},
		{ID: "p-a2", Engine: "llamacpp", URL: a2.URL, Models: []string{"alpha"}, Slots: 4},
		{ID: "p-b", Engine: "llamacpp", URL: b.URL, Models: []string{"beta"}, Slots: 4},
	})
	waitReady(t, o, []string{"p-a1", "p-a2", "p-b"})
	body := func(model, extra string) string {
		return `{"workload":"completion","model_ref":"` + model + `","prompt":"hi","max_tokens":4` + extra + `}`
	}

	t.Run("least-loaded spreads over the pools with the model", func(t *testing.T) {
		is := is.New(t)
		const n = 100
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ids[i] = admit(t, o, body("alpha", "")).TaskID })
		}
		wg.Wait()
		per := map[string]int{}
		for _, id := range ids {
			frames := stream(t, o, wire.AdmissionResponse{TaskID: id, Streams: wire.StreamURLs{SSE: "/v2/tasks/" + id + "/events"}})
			is.Equal(terminal(t, frames).Event, wire.EventEnd) // served
			per[status(t, o, id).PoolID]++
		}
		is.Equal(per["p-b"], 0)                         // never on the pool without the model
		is.Equal(per["p-a1"]+per["p-a2"], n)            // all on the two alpha pools
		is.True(per["p-a1"] >= 40 && per["p-a1"] <= 60) // within ±20% of an even split
		is.Equal(int(simStats(t, b).Started), 0)        // the beta engine saw none
	})

	t.Run("a model only one pool has", func(t *testing.T) {
		is := is.New(t)
		adm := admit(t, o, body("beta", ""))
		is.Equal(terminal(t, stream(t, o, adm)).Event, wire.EventEnd) // served
		is.Equal(status(t, o, adm.TaskID).PoolID, "p-b")              // by the only pool with it
	})

	t.Run("a model nobody has", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v2/tasks", body("gamma", ""))
		is.Equal(resp.StatusCode, 503)                                              // no pool can ever serve it
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodePoolUnavailable) // in the envelope
	})

	tests := []struct {
		name, placement, want string
	}{
		{"pin", `,"placement":{"mode":"pin","pin_pool_id":"p-a2"}`, "p-a2"},
		{"pin the other", `,"placement":{"mode":"pin","pin_pool_id":"p-a1"}`, "p-a1"},
		{"avoid", `,"placement":{"avoid_pools":["p-a1"]}`, "p-a2"},
		{"avoid the other", `,"placement":{"avoid_pools":["p-a2"]}`, "p-a1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			for range 4 {
				adm := admit(t, o, body("alpha", tt.placement))
				is.Equal(terminal(t, stream(t, o, adm)).Event, wire.EventEnd) // served
				is.Equal(status(t, o, adm.TaskID).PoolID, tt.want)            // where asked
			}
		})
	}

	t.Run("pin to a pool without the model", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v2/tasks", body("alpha", `,"placement":{"mode":"pin","pin_pool_id":"p-b","allow_fallback":false}`))
		is.Equal(resp.StatusCode, 503)                                              // the pinned pool can never serve it
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodePoolUnavailable) // in the envelope
	})
}
