package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §5 Pool control: list, health, drain with a deadline, reload
// (carried out here for static pools, by node agents for theirs), purge,
// and every error path of those routes in the contract's envelope.
func TestPoolControl(t *testing.T) {
	is := is.New(t)
	api := []string{"Authorization", "Bearer api-tok"}
	s0 := startSim(t, "--slots", "2", "--token-delay", "20ms")
	s1 := startSim(t, "--slots", "2", "--token-delay", "20ms")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 400}\n", []poolCfg{
		{ID: "st-0", Engine: "llamacpp", URL: s0.URL, Models: []string{"tiny"}, Slots: 2},
		{ID: "st-1", Engine: "llamacpp", URL: s1.URL, Models: []string{"tiny"}, Slots: 2},
	}, "ORCHD_API_TOKEN=api-tok", "ORCHD_NODE_TOKEN=node-tok")
	llama := startNode(t, o.URL, "n-llama", "node-tok", 2, []string{"tiny"})
	ollamaSim := startSim(t, "--model", "small,big", "--switch-time", "500ms")
	ollamaAgent := startAgent(t, o.URL, "n-olla", "node-tok", agentEngine{PoolID: "n-olla-0", Engine: "ollama", URL: ollamaSim.URL, Slots: 1})
	all := []string{"st-0", "st-1", "n-llama-0", "n-olla-0"}
	waitReady(t, o, all, api...)
	apiTask := func(extra string) wire.AdmissionResponse {
		return decode[wire.AdmissionResponse](t, mustCall(t, "POST", o.URL+"/v2/tasks", task(extra), 202, api...))
	}
	health := func(id string) wire.PoolHealth { return poolHealth(t, o, id, api...) }

	t.Run("list", func(t *testing.T) {
		is := is.New(t)
		pools := listPools(t, o, api...)
		is.Equal(len(pools), 4)                                      // static and registered pools
		is.Equal(pools["st-0"].NodeID, "")                           // a static pool has no node
		is.Equal(pools["n-llama-0"].NodeID, "n-llama")               // a registered one its node
		is.Equal(pools["n-olla-0"].Models, []string{"small", "big"}) // what the engine has, loaded first
		is.Equal(pools["st-0"].SlotsTotal, 2)                        // slots
		h := health("st-0")
		is.True(h.Live && h.Ready && !h.Draining) // healthy
		is.Equal(h.Metrics.SlotsTotal, 2)         // with its metrics
	})

	t.Run("drain", func(t *testing.T) {
		is := is.New(t)
		long := apiTask(`,"max_tokens":400,"placement":{"mode":"pin","pin_pool_id":"st-0"}`)
		short := apiTask(`,"max_tokens":10,"placement":{"mode":"pin","pin_pool_id":"st-0"}`)
		waitFor(t, 5*time.Second, "both running on st-0", func() bool { return simStats(t, s0).Active == 2 })
		mustCall(t, "POST", o.URL+"/v2/pools/st-0/drain", `{"deadline_ms":1000}`, 202, api...)
		drained := time.Now()
		is.True(health("st-0").Draining) // at once

		later := apiTask(`,"max_tokens":4`)
		is.Equal(terminal(t, stream(t, o, later, api...)).Event, wire.EventEnd) // a new task runs
		is.True(statusWith(t, o, later.TaskID, api...).PoolID != "st-0")        // elsewhere
		pinned := apiTask(`,"max_tokens":4,"placement":{"mode":"pin","pin_pool_id":"st-0"}`)

		is.Equal(endOf(t, stream(t, o, short, api...)).FinishReason, wire.FinishLength) // the short task finished
		end := endOf(t, stream(t, o, long, api...))
		is.True(end.Canceled)                                                    // the long one was canceled
		is.Equal(end.FinishReason, wire.FinishDrain)                             // by the drain
		is.True(time.Since(drained) >= 900*time.Millisecond)                     // at the deadline, not before
		is.True(end.TokensOut > 0 && end.TokensOut < 400)                        // after running until then
		is.Equal(statusWith(t, o, pinned.TaskID, api...).State, wire.TaskQueued) // nothing new was placed there
		mustCall(t, "POST", o.URL+"/v2/tasks/"+pinned.TaskID+"/cancel", nil, 204, api...)
		m := metricsText(t, o)
		is.True(strings.Contains(m, `orchd_tasks_canceled_total{reason="drain"} 1`)) // counted
		is.True(strings.Contains(m, `orchd_pool_ready{pool_id="st-0"} 0`))           // not ready for work
		is.True(strings.Contains(m, `orchd_pool_ready{pool_id="st-1"} 1`))           // the others are
	})

	t.Run("reload of a static llama.cpp pool fails and rolls back", func(t *testing.T) {
		is := is.New(t)
		mustCall(t, "POST", o.URL+"/v2/pools/st-0/reload", `{"new_model_ref":"org/other"}`, 202, api...)
		waitFor(t, 10*time.Second, "reload outcome", func() bool {
			h := health("st-0")
			return h.LastError != "" && !h.Draining
		})
		h := health("st-0")
		is.True(strings.Contains(h.LastError, "cannot switch models"))     // why
		is.True(h.Ready && !h.Draining)                                    // back to ready (the drain ended)
		is.Equal(listPools(t, o, api...)["st-0"].Models, []string{"tiny"}) // on the old model
	})

	t.Run("drain and reload through a llama.cpp node agent", func(t *testing.T) {
		is := is.New(t)
		mustCall(t, "POST", o.URL+"/v2/pools/n-llama-0/drain", `{}`, 202, api...)
		waitFor(t, 5*time.Second, "the agent drained", func() bool { return strings.Contains(llama.Agent.Logs(), `"message":"draining"`) })
		is.True(health("n-llama-0").Draining) // draining
		mustCall(t, "POST", o.URL+"/v2/pools/n-llama-0/reload", `{"new_model_ref":"other"}`, 202, api...)
		waitFor(t, 10*time.Second, "reload outcome", func() bool {
			h := health("n-llama-0")
			return h.LastError != "" && !h.Draining
		})
		h := health("n-llama-0")
		is.True(strings.Contains(h.LastError, "cannot switch models"))          // the agent says why
		is.True(h.Ready)                                                        // ready again
		is.Equal(listPools(t, o, api...)["n-llama-0"].Models, []string{"tiny"}) // on the old model
	})

	t.Run("reload through an agent whose engine switches", func(t *testing.T) {
		is := is.New(t)
		mustCall(t, "POST", o.URL+"/v2/pools/n-olla-0/reload", `{"new_model_ref":"big"}`, 202, api...)
		resp, raw := call(t, "POST", o.URL+"/v2/pools/n-olla-0/reload", `{"new_model_ref":"small"}`, api...)
		is.Equal(resp.StatusCode, 409)                                       // a reload runs
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeConflict) // in the envelope
		resp, _ = call(t, "POST", o.URL+"/v2/pools/n-olla-0/purge", `{"purge_models":["small"]}`, api...)
		is.Equal(resp.StatusCode, 409) // so does a purge
		waitFor(t, 10*time.Second, "switched", func() bool {
			p := listPools(t, o, api...)["n-olla-0"]
			return !p.Draining && p.Ready && len(p.Models) > 0 && p.Models[0] == "big"
		})
		is.Equal(health("n-olla-0").LastError, "") // no error

		mustCall(t, "POST", o.URL+"/v2/pools/n-olla-0/reload", `{"new_model_ref":"huge"}`, 202, api...)
		waitFor(t, 10*time.Second, "reload outcome", func() bool {
			h := health("n-olla-0")
			return h.LastError != "" && h.Ready && !h.Draining
		})
		h := health("n-olla-0")
		is.True(strings.Contains(h.LastError, "huge"))                             // why it failed
		is.True(h.Ready && !h.Draining)                                            // ready again
		is.Equal(listPools(t, o, api...)["n-olla-0"].Models[0], "big")             // still on the model it had
		is.True(strings.Contains(ollamaAgent.Logs(), `"message":"reload failed"`)) // carried out by the agent
	})

	t.Run("purge", func(t *testing.T) {
		is := is.New(t)
		mustCall(t, "POST", o.URL+"/v2/pools/st-1/purge", `{"purge_models":["tiny"]}`, 202, api...)
		is.True(strings.Contains(health("st-1").LastError, "cannot remove models")) // a static llama.cpp pool cannot
		mustCall(t, "POST", o.URL+"/v2/pools/n-olla-0/purge", `{"purge_models":["big"],"drain_first":true}`, 202, api...)
		waitFor(t, 10*time.Second, "purge outcome", func() bool {
			return strings.Contains(health("n-olla-0").LastError, "big is loaded; purge with force")
		})
		is.True(!health("n-olla-0").Draining) // the agent's drain for the purge ended
	})

	t.Run("availability", func(t *testing.T) {
		is := is.New(t)
		av := decode[[]wire.Availability](t, mustCall(t, "GET", o.URL+"/v2/catalog/availability", nil, 200, api...))
		byModel := map[string]map[string]wire.AvailabilityPool{}
		for _, a := range av {
			byModel[a.ModelID] = map[string]wire.AvailabilityPool{}
			for _, p := range a.Pools {
				byModel[a.ModelID][p.PoolID] = p
			}
		}
		is.Equal(len(av), 3)                                  // big, small, tiny
		is.Equal(len(byModel["tiny"]), 3)                     // three pools have tiny
		is.Equal(len(byModel["big"]), 1)                      // one pool has big
		is.Equal(byModel["big"]["n-olla-0"].NodeID, "n-olla") // on its node
		is.True(byModel["tiny"]["st-1"].Ready)                // st-1 takes work
		is.True(byModel["tiny"]["n-llama-0"].Ready)           // n-llama-0 too
		is.Equal(byModel["tiny"]["st-0"].NodeID, "")          // a static pool has no node
		is.Equal(av[0].ModelID, "big")                        // models sorted
	})

	errs := []struct {
		name, method, path, body string
		status                   int
		code                     wire.ErrorCode
		field                    string
	}{
		{"health of an unknown pool", "GET", "/v2/pools/nope/health", "", 404, wire.CodeNotFound, "nope"},
		{"drain an unknown pool", "POST", "/v2/pools/nope/drain", `{}`, 404, wire.CodeNotFound, "nope"},
		{"reload an unknown pool", "POST", "/v2/pools/nope/reload", `{"new_model_ref":"m"}`, 404, wire.CodeNotFound, "nope"},
		{"purge an unknown pool", "POST", "/v2/pools/nope/purge", `{"purge_models":["m"]}`, 404, wire.CodeNotFound, "nope"},
		{"bad pool id", "GET", "/v2/pools/bad%20id/health", "", 400, wire.CodeInvalidParams, "id"},
		{"negative deadline", "POST", "/v2/pools/st-1/drain", `{"deadline_ms":-1}`, 400, wire.CodeInvalidParams, "deadline_ms"},
		{"deadline of the wrong type", "POST", "/v2/pools/st-1/drain", `{"deadline_ms":"soon"}`, 400, wire.CodeInvalidParams, "deadline_ms"},
		{"no body", "POST", "/v2/pools/st-1/drain", "", 400, wire.CodeInvalidParams, "body"},
		{"malformed body", "POST", "/v2/pools/st-1/reload", `{"new_model_ref":`, 400, wire.CodeInvalidParams, "body"},
		{"reload without a model", "POST", "/v2/pools/st-1/reload", `{}`, 400, wire.CodeInvalidParams, "new_model_ref"},
		{"reload to a bad model id", "POST", "/v2/pools/st-1/reload", `{"new_model_ref":"a b"}`, 400, wire.CodeInvalidParams, "new_model_ref"},
		{"purge without models", "POST", "/v2/pools/st-1/purge", `{"drain_first":true}`, 400, wire.CodeInvalidParams, "purge_models"},
		{"purge a bad model id", "POST", "/v2/pools/st-1/purge", `{"purge_models":["ok","a b"]}`, 400, wire.CodeInvalidParams, "purge_models[1]"},
		{"purge models of the wrong type", "POST", "/v2/pools/st-1/purge", `{"purge_models":"tiny"}`, 400, wire.CodeInvalidParams, "purge_models"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var body any
			if tt.body != "" {
				body = tt.body
			}
			resp, raw := call(t, tt.method, o.URL+tt.path, body, api...)
			is.Equal(resp.StatusCode, tt.status) // status
			env := decode[wire.ErrorEnvelope](t, raw)
			is.Equal(env.Code, tt.code)                      // code
			is.True(strings.Contains(env.Message, tt.field)) // the message names the field (or pool)
		})
	}
	t.Run("without a token", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v2/pools/st-1/drain", `{}`)
		is.Equal(resp.StatusCode, 401)                                           // unauthorized
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeUnauthorized) // in the envelope
		resp, _ = call(t, "GET", o.URL+"/v2/pools", nil, "Authorization", "Bearer node-tok")
		is.Equal(resp.StatusCode, 403) // the node token is not the API token
	})
}

// endOf is the end frame of a stream.
func endOf(t *testing.T, frames []frame) wire.EndFrame {
	t.Helper()
	f := terminal(t, frames)
	if f.Event != wire.EventEnd {
		t.Fatalf("stream ended with %s %s", f.Event, f.Data)
	}
	var e wire.EndFrame
	if err := json.Unmarshal(f.Data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// metricsText reads /metrics.
func metricsText(t *testing.T, o *proc) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
