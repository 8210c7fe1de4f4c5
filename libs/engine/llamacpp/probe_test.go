package llamacpp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

const (
	slotsBody = `[{"id":0,"id_task":135,"n_ctx":8192,"speculative":false,"is_processing":true,"params":{"n_predict":-1,"stop":[]},"next_token":{"has_next_token":true,"n_remain":-1,"n_decoded":136}},` +
		`{"id":1,"id_task":-1,"n_ctx":8192,"speculative":false,"is_processing":false,"params":{"n_predict":-1,"stop":[]},"next_token":{"has_next_token":true,"n_remain":-1,"n_decoded":0}}]`
	propsBody = `{"default_generation_settings":{"id":0,"id_task":-1,"n_ctx":8192,"speculative":false,"is_processing":false,"params":{"n_predict":-1}},` +
		`"total_slots":2,"model_alias":"llama-3.1-8b","model_path":"/models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf","chat_template":"...","modalities":{"vision":false},"build_info":"b5123-9d4c6c1e"}`
	propsNoAlias = `{"default_generation_settings":{"n_ctx":4096},"total_slots":4,"model_path":"/models/qwen.gguf","build_info":"b4000-1"}`
	loadingBody  = `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`
)

// route is one canned answer of the fake llama-server.
type route struct {
	status int
	body   string
}

func llamaServer(t *testing.T, routes map[string]route) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rt.status)
		_, _ = w.Write([]byte(rt.body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestProbe(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		routes map[string]route
		want   engine.Health
	}{
		{
			name:   "ready with slots",
			routes: map[string]route{"/health": {200, `{"status":"ok"}`}, "/slots": {200, slotsBody}, "/props": {200, propsBody}},
			want: engine.Health{Live: true, Ready: true, SlotsTotal: 2, SlotsFree: 1, CtxMax: 8192,
				Models: []string{"llama-3.1-8b"}, Version: "b5123-9d4c6c1e"},
		},
		{
			name:   "loading",
			routes: map[string]route{"/health": {503, loadingBody}, "/slots": {503, loadingBody}, "/props": {503, loadingBody}},
			want:   engine.Health{Live: true, SlotsFree: -1},
		},
		{
			name: "slots disabled (501)",
			routes: map[string]route{"/health": {200, `{"status":"ok"}`},
				"/slots": {501, `{"error":{"code":501,"message":"This server does not support slots endpoint.","type":"not_supported_error"}}`},
				"/props": {200, propsNoAlias}},
			want: engine.Health{Live: true, Ready: true, SlotsTotal: 4, SlotsFree: -1, CtxMax: 4096,
				Models: []string{"/models/qwen.gguf"}, Version: "b4000-1"},
		},
		{
			name:   "slots missing (404)",
			routes: map[string]route{"/health": {200, `{"status":"ok"}`}, "/props": {200, propsNoAlias}},
			want: engine.Health{Live: true, Ready: true, SlotsTotal: 4, SlotsFree: -1, CtxMax: 4096,
				Models: []string{"/models/qwen.gguf"}, Version: "b4000-1"},
		},
		{
			name:   "no props",
			routes: map[string]route{"/health": {200, `{"status":"ok"}`}, "/slots": {200, slotsBody}},
			want:   engine.Health{Live: true, Ready: true, SlotsTotal: 2, SlotsFree: 1, CtxMax: 8192},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := llamaServer(t, tt.routes)
			h, err := client(t, srv.URL).Probe(t.Context())
			is.NoErr(err)        // a reachable engine probes without error
			is.Equal(h, tt.want) // health read from the engine
		})
	}
}

func TestProbeUnreachable(t *testing.T) {
	is := is.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.NoErr(err) // reserve a port
	addr := ln.Addr().String()
	is.NoErr(ln.Close()) // nothing listens there now
	h, err := client(t, "http://"+addr).Probe(t.Context())
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                               // an *engine.Error
	is.Equal(ee.Kind, engine.KindUnavailable) // unreachable
	is.True(!h.Live)                          // not live
	is.Equal(h.SlotsFree, -1)                 // unknown
}

func TestProbeCanceled(t *testing.T) {
	is := is.New(t)
	srv := llamaServer(t, map[string]route{"/health": {200, `{"status":"ok"}`}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := client(t, srv.URL).Probe(ctx)
	is.True(errors.Is(err, context.Canceled)) // ctx.Err() when the context is done
}

func TestEngineName(t *testing.T) {
	is := is.New(t)
	is.Equal(New("http://x").Engine(), "llamacpp") // the engine kind
}
