package echohttp_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

func TestRegister(t *testing.T) {
	is := is.New(t)
	f := newFixture(echohttp.WithHeartbeatInterval(2 * time.Second))

	r := f.do(http.MethodPost, "/v2/nodes/register", registerBody)
	is.Equal(r.status, http.StatusOK) // registered
	is.NoErr(r.contract())            // matches the OpenAPI
	is.Equal(strings.TrimSpace(string(r.body)),
		`{"success":true,"message":"registered","node_id":"gpu-1","heartbeat_interval_ms":2000}`) // the body of api.md

	v, ok := f.reg.Node("gpu-1")
	is.True(ok)                                                                             // the node is in the registry
	is.Equal(v.Address, "http://10.0.0.9:7070")                                             // address kept
	is.Equal(v.GPUs, []nodeapi.GPU{{Index: 0, Name: "L4", VRAMTotalBytes: 24_000_000_000}}) // capabilities mapped
	is.Equal(v.CPUCores, 16)                                                                // cpu cores mapped
	is.Equal(len(v.Pools), 1)                                                               // one pool
	is.Equal(v.Pools[0].PoolSpec, nodeapi.PoolSpec{PoolID: "p-llama", Engine: "llamacpp", URL: "http://127.0.0.1:8081",
		Models: []string{"org/llama-3-8b"}, SlotsTotal: 4, CtxMax: 8192, DeviceMask: "0"}) // pool mapped field by field

	r = f.do(http.MethodPost, "/v2/nodes/register", strings.Replace(registerBody, `"p-llama"`, `"p-other"`, 1))
	is.Equal(r.status, http.StatusOK)                                                      // re-registered
	is.NoErr(r.contract())                                                                 // matches the OpenAPI
	is.True(strings.Contains(string(r.body), `"message":"re-registered; pools replaced"`)) // says so
	_, ok = f.reg.Pool("p-llama")
	is.True(!ok)                                                // the old pool is gone
	is.Equal(f.obs.Calls(), []string{"registered", "replaced"}) // observer told both times
}

func TestHeartbeat(t *testing.T) {
	is := is.New(t)
	f := newFixture()
	is.Equal(f.do(http.MethodPost, "/v2/nodes/register", registerBody).status, http.StatusOK) // registered

	r := f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"timestamp_ms":1700000000500,"pools":[
	  {"pool_id":"p-llama","ready":true,"draining":false,"slots_free":3,"slots_total":4,"vram_free_bytes":1000,
	   "models_available":["org/llama-3-8b"],"engine_version":"b4242","future_field":1}]}`)
	is.Equal(r.status, http.StatusOK)                                                        // accepted
	is.NoErr(r.contract())                                                                   // matches the OpenAPI
	is.Equal(strings.TrimSpace(string(r.body)), `{"success":true,"next_heartbeat_ms":5000}`) // the body of api.md

	p, _ := f.reg.Pool("p-llama")
	is.Equal(p.Report, nodeapi.PoolReport{PoolID: "p-llama", Ready: true, SlotsFree: 3, SlotsTotal: 4, VRAMFreeBytes: 1000,
		ModelsAvailable: []string{"org/llama-3-8b"}, EngineVersion: "b4242"}) // report stored field by field

	r = f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"timestamp_ms":1,"pools":[{"pool_id":"p-llama","ready":false,"draining":true}]}`)
	is.Equal(r.status, http.StatusOK) // accepted
	p, _ = f.reg.Pool("p-llama")
	is.Equal(p.Report.SlotsFree, -1) // absent slots_free is unknown
	is.True(p.Report.Draining)       // draining stored

	r = f.do(http.MethodPost, "/v2/nodes/ghost/heartbeat", `{"timestamp_ms":1}`)
	is.Equal(r.status, http.StatusNotFound) // unknown node → 404
	is.NoErr(r.contract())                  // matches the OpenAPI
	var unknown *echohttp.UnknownNodeError
	is.True(errors.As(f.lastErr(), &unknown))               // a typed error
	is.Equal(unknown.NodeID, "ghost")                       // naming the node
	is.True(errors.Is(f.lastErr(), nodeapi.ErrUnknownNode)) // wrapping the sentinel

	is.Equal(f.obs.Calls(), []string{"registered", "heartbeat", "heartbeat", "heartbeat-unknown"}) // observer told
}

func TestDelete(t *testing.T) {
	is := is.New(t)
	f := newFixture()
	is.Equal(f.do(http.MethodPost, "/v2/nodes/register", registerBody).status, http.StatusOK) // registered

	r := f.do(http.MethodDelete, "/v2/nodes/gpu-1", "")
	is.Equal(r.status, http.StatusNoContent) // deleted
	is.NoErr(r.contract())                   // matches the OpenAPI
	is.Equal(len(r.body), 0)                 // no body
	_, ok := f.reg.Node("gpu-1")
	is.True(!ok) // gone from the registry

	r = f.do(http.MethodDelete, "/v2/nodes/gpu-1", "")
	is.Equal(r.status, http.StatusNotFound)                 // deleting again → 404
	is.NoErr(r.contract())                                  // matches the OpenAPI
	is.True(errors.Is(f.lastErr(), nodeapi.ErrUnknownNode)) // the sentinel

	r = f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"timestamp_ms":1}`)
	is.Equal(r.status, http.StatusNotFound) // a heartbeat after delete → 404, the agent re-registers

	is.Equal(f.obs.Calls(), []string{"registered", "removed gpu-1", "heartbeat-unknown"}) // observer told
}

func TestListAndGet(t *testing.T) {
	is := is.New(t)
	f := newFixture()

	r := f.do(http.MethodGet, "/v2/nodes", "")
	is.Equal(r.status, http.StatusOK)                 // listed
	is.NoErr(r.contract())                            // matches the OpenAPI
	is.Equal(strings.TrimSpace(string(r.body)), "[]") // an empty bare array, never null

	is.Equal(f.do(http.MethodPost, "/v2/nodes/register", registerBody).status, http.StatusOK) // registered
	is.Equal(f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat",
		`{"timestamp_ms":1,"pools":[{"pool_id":"p-llama","ready":true,"draining":false,"slots_free":1,"slots_total":4}]}`).status, http.StatusOK) // heartbeat
	_, err := f.reg.Register(nodeapi.NodeSpec{NodeID: "static", Static: true, Pools: []nodeapi.PoolSpec{
		{PoolID: "home", Engine: "ollama", URL: "http://127.0.0.1:11434", SlotsTotal: 1}}})
	is.NoErr(err) // a static node

	r = f.do(http.MethodGet, "/v2/nodes", "")
	is.Equal(r.status, http.StatusOK) // listed
	is.NoErr(r.contract())            // matches the OpenAPI
	var nodes []wire.Node
	is.NoErr(json.Unmarshal(r.body, &nodes))
	is.Equal(len(nodes), 1) // the static node is not a node of the API
	want := wire.Node{NodeID: "gpu-1", MachineID: "m-1", Address: "http://10.0.0.9:7070", Version: "0.3.0",
		Status: wire.NodeOnline, LastHeartbeatMs: 1_700_000_000_000,
		Capabilities: &wire.NodeCapabilities{GPUs: []wire.GPU{{Index: 0, Name: "L4", VRAMTotalBytes: 24_000_000_000}}, CPUCores: 16},
		Pools: []wire.Pool{{PoolID: "p-llama", NodeID: "gpu-1", Engine: wire.EngineLlamaCpp, URL: "http://127.0.0.1:8081",
			Models: []string{"org/llama-3-8b"}, SlotsTotal: 4, SlotsFree: 1, CtxMax: 8192, DeviceMask: "0",
			Live: true, Ready: true}}}
	is.Equal(nodes[0], want) // the node with its live pool

	f.clock.Advance(16 * time.Second)
	is.Equal(f.reg.Expire(), []string{"gpu-1"}) // missed heartbeats
	r = f.do(http.MethodGet, "/v2/nodes/gpu-1", "")
	is.Equal(r.status, http.StatusOK) // one node
	is.NoErr(r.contract())            // matches the OpenAPI
	var one wire.Node
	is.NoErr(json.Unmarshal(r.body, &one))
	is.Equal(one.Status, wire.NodeOffline)                  // offline after the timeout
	is.Equal(one.LastHeartbeatMs, int64(1_700_000_000_000)) // the last heartbeat stays
	is.True(!one.Pools[0].Live && !one.Pools[0].Ready)      // its pools leave placement

	r = f.do(http.MethodGet, "/v2/nodes/static", "")
	is.Equal(r.status, http.StatusNotFound) // a static node is not served
	is.NoErr(r.contract())                  // matches the OpenAPI
}

func TestPercentEncodedID(t *testing.T) {
	is := is.New(t)
	f := newFixture()
	is.Equal(f.do(http.MethodPost, "/v2/nodes/register", `{"node_id":"rack:1@a","capabilities":{}}`).status, http.StatusOK) // registered

	r := f.do(http.MethodGet, "/v2/nodes/rack%3A1%40a", "")
	is.Equal(r.status, http.StatusOK)                                 // found by its encoded id
	is.True(strings.Contains(string(r.body), `"node_id":"rack:1@a"`)) // decoded
}

func TestStaticNodeIsReserved(t *testing.T) {
	is := is.New(t)
	f := newFixture()
	_, err := f.reg.Register(nodeapi.NodeSpec{NodeID: "gpu-1", Static: true})
	is.NoErr(err) // the config owns gpu-1

	r := f.do(http.MethodPost, "/v2/nodes/register", registerBody)
	is.Equal(r.status, http.StatusBadRequest) // cannot take over a static node
	is.NoErr(r.contract())                    // matches the OpenAPI
	var ve *nodeapi.ValidationError
	is.True(errors.As(f.lastErr(), &ve)) // a validation error
	is.Equal(ve.Field, "node_id")        // naming the field

	is.Equal(f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"timestamp_ms":1}`).status, http.StatusNotFound) // no heartbeats for it
	is.Equal(f.do(http.MethodDelete, "/v2/nodes/gpu-1", "").status, http.StatusNotFound)                           // nor delete
	v, _ := f.reg.Node("gpu-1")
	is.True(v.Static) // still the static node
}

func TestPoolConflict(t *testing.T) {
	is := is.New(t)
	f := newFixture()
	is.Equal(f.do(http.MethodPost, "/v2/nodes/register", registerBody).status, http.StatusOK) // gpu-1 owns p-llama

	r := f.do(http.MethodPost, "/v2/nodes/register", strings.Replace(registerBody, `"gpu-1"`, `"gpu-2"`, 1))
	is.Equal(r.status, http.StatusConflict) // the daemon maps it to 409
	var pc *nodeapi.PoolConflictError
	is.True(errors.As(f.lastErr(), &pc))                              // a typed conflict
	is.Equal(pc.PoolID, "p-llama")                                    // naming the pool
	is.Equal(pc.Owner, "gpu-1")                                       // and its owner
	is.Equal(f.obs.Calls(), []string{"registered", "register-error"}) // the refusal is observed
}

func TestRequestErrors(t *testing.T) {
	huge := `{"node_id":"gpu-1","capabilities":{},"machine_id":"` + strings.Repeat("x", 2048) + `"}`
	cases := []struct {
		name, method, path, body string
		field                    string // of the *nodeapi.ValidationError
		observed                 string // what the observer was told last
	}{
		{"malformed json", http.MethodPost, "/v2/nodes/register", `{"node_id":`, "body", "register-error"},
		{"syntax error", http.MethodPost, "/v2/nodes/register", `{"node_id" "x"}`, "body", "register-error"},
		{"empty body", http.MethodPost, "/v2/nodes/register", "", "body", "register-error"},
		{"trailing data", http.MethodPost, "/v2/nodes/register", `{"node_id":"a","capabilities":{}} {}`, "body", "register-error"},
		{"wrong type", http.MethodPost, "/v2/nodes/register", `{"node_id":"a","pools":[{"slots_total":"four"}]}`, "pools.slots_total", "register-error"},
		{"missing node id", http.MethodPost, "/v2/nodes/register", `{"capabilities":{}}`, "node_id", "register-error"},
		{"bad node id", http.MethodPost, "/v2/nodes/register", `{"node_id":"a b","capabilities":{}}`, "node_id", "register-error"},
		{"unknown engine", http.MethodPost, "/v2/nodes/register",
			`{"node_id":"a","capabilities":{},"pools":[{"pool_id":"p","engine":"triton","url":"http://h:1","slots_total":1}]}`, "pools[0].engine", "register-error"},
		{"zero slots", http.MethodPost, "/v2/nodes/register",
			`{"node_id":"a","capabilities":{},"pools":[{"pool_id":"p","engine":"vllm","url":"http://h:1","slots_total":0}]}`, "pools[0].slots_total", "register-error"},
		{"heartbeat bad json", http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"pools":[}`, "body", "heartbeat-error"},
		{"heartbeat negative slots", http.MethodPost, "/v2/nodes/gpu-1/heartbeat",
			`{"timestamp_ms":1,"pools":[{"pool_id":"p-llama","ready":true,"draining":false,"slots_free":-3}]}`, "pools[0].slots_free", "heartbeat-error"},
		{"heartbeat bad path id", http.MethodPost, "/v2/nodes/a%20b/heartbeat", `{"timestamp_ms":1}`, "id", "heartbeat-error"},
		{"get bad id", http.MethodGet, "/v2/nodes/a%20b", "", "id", "registered"},
		{"delete bad id", http.MethodDelete, "/v2/nodes/" + strings.Repeat("n", 129), "", "id", "registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			f := newFixture()
			is.Equal(f.do(http.MethodPost, "/v2/nodes/register", registerBody).status, http.StatusOK) // registered

			r := f.do(tc.method, tc.path, tc.body)
			is.Equal(r.status, http.StatusBadRequest) // 400
			is.NoErr(r.contract())                    // matches the OpenAPI
			var ve *nodeapi.ValidationError
			is.True(errors.As(f.lastErr(), &ve))                // the handler returned a validation error
			is.True(errors.Is(f.lastErr(), nodeapi.ErrInvalid)) // wrapping the sentinel
			is.Equal(ve.Field, tc.field)                        // naming the field
			calls := f.obs.Calls()
			is.Equal(calls[len(calls)-1], tc.observed) // the observer heard of a refused write
		})
	}
	t.Run("body over the limit", func(t *testing.T) {
		is := is.New(t)
		f := newFixture(echohttp.WithBodyLimit(1024))
		r := f.do(http.MethodPost, "/v2/nodes/register", huge)
		is.Equal(r.status, http.StatusRequestEntityTooLarge) // 413
		is.NoErr(r.contract())                               // matches the OpenAPI
		var mbe *http.MaxBytesError
		is.True(errors.As(f.lastErr(), &mbe)) // the handler returned the limit error
		is.Equal(mbe.Limit, int64(1024))      // with the limit
	})
}

func TestMiddleware(t *testing.T) {
	is := is.New(t)
	var seen []string
	mark := func(tag string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				seen = append(seen, tag+" "+c.Request().Method+" "+c.Path())
				return next(c)
			}
		}
	}
	deny := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return echo.NewHTTPError(http.StatusUnauthorized) }
	}
	f := newFixture(echohttp.WithWriteMiddleware(mark("write")), echohttp.WithReadMiddleware(mark("read")))
	f.do(http.MethodPost, "/v2/nodes/register", registerBody)
	f.do(http.MethodPost, "/v2/nodes/gpu-1/heartbeat", `{"timestamp_ms":1}`)
	f.do(http.MethodGet, "/v2/nodes", "")
	f.do(http.MethodGet, "/v2/nodes/gpu-1", "")
	f.do(http.MethodDelete, "/v2/nodes/gpu-1", "")
	is.Equal(seen, []string{
		"write POST /v2/nodes/register",
		"write POST /v2/nodes/:id/heartbeat",
		"read GET /v2/nodes",
		"read GET /v2/nodes/:id",
		"write DELETE /v2/nodes/:id",
	}) // each route runs its own class of middleware

	f = newFixture(echohttp.WithWriteMiddleware(deny))
	r := f.do(http.MethodPost, "/v2/nodes/register", registerBody)
	is.Equal(r.status, http.StatusUnauthorized) // the write middleware guards register
	is.NoErr(r.contract())                      // matches the OpenAPI
	_, ok := f.reg.Node("gpu-1")
	is.True(!ok)                                                          // nothing registered
	is.Equal(f.do(http.MethodGet, "/v2/nodes", "").status, http.StatusOK) // reads are not guarded by it
	is.Equal(len(f.obs.Calls()), 0)                                       // nothing observed
}
