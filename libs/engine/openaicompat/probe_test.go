package openaicompat

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
	vllmModels = `{"object":"list","data":[{"id":"meta-llama/Llama-3.1-8B-Instruct","object":"model","created":1732700000,` +
		`"owned_by":"vllm","root":"meta-llama/Llama-3.1-8B-Instruct","parent":null,"max_model_len":32768,"permission":[]}]}`
	ollamaModels = `{"object":"list","data":[{"id":"llama3.2:latest","object":"model","created":1732000000,"owned_by":"library"},` +
		`{"id":"qwen2.5:7b","object":"model","created":1732000001,"owned_by":"library"}]}`
	tgiModels = `{"object":"list","data":[{"id":"mistralai/Mistral-7B-Instruct-v0.3","object":"model","created":0,"owned_by":"mistralai/Mistral-7B-Instruct-v0.3"}]}`
	tgiInfo   = `{"model_id":"mistralai/Mistral-7B-Instruct-v0.3","model_dtype":"torch.float16","max_concurrent_requests":128,` +
		`"max_input_tokens":4095,"max_total_tokens":4096,"version":"2.4.0","sha":"0ff6ff6"}`
)

type route struct {
	status int
	body   string
}

func probeServer(t *testing.T, routes map[string]route) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
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
		engine string
		routes map[string]route
		want   engine.Health
	}{
		{
			name:   "vllm",
			engine: "vllm",
			routes: map[string]route{"/health": {200, ""}, "/v1/models": {200, vllmModels}, "/version": {200, `{"version":"0.6.4"}`}},
			want: engine.Health{Live: true, Ready: true, SlotsFree: -1, CtxMax: 32768,
				Models: []string{"meta-llama/Llama-3.1-8B-Instruct"}, Version: "0.6.4"},
		},
		{
			name:   "tgi",
			engine: "tgi",
			routes: map[string]route{"/health": {200, ""}, "/v1/models": {200, tgiModels}, "/info": {200, tgiInfo}},
			want: engine.Health{Live: true, Ready: true, SlotsFree: -1, CtxMax: 4096,
				Models: []string{"mistralai/Mistral-7B-Instruct-v0.3"}, Version: "2.4.0"},
		},
		{
			name:   "ollama without /health",
			engine: "openai",
			routes: map[string]route{"/v1/models": {200, ollamaModels}},
			want:   engine.Health{Live: true, Ready: true, SlotsFree: -1, Models: []string{"llama3.2:latest", "qwen2.5:7b"}},
		},
		{
			name:   "loading",
			engine: "tgi",
			routes: map[string]route{"/health": {503, `{"error":"Model is loading","error_type":"unhealthy"}`}},
			want:   engine.Health{Live: true, SlotsFree: -1},
		},
		{
			name:   "no /health and no models",
			engine: "openai",
			routes: map[string]route{"/v1/models": {500, "oops"}},
			want:   engine.Health{Live: true, SlotsFree: -1},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := probeServer(t, tt.routes)
			h, err := client(t, srv.URL, tt.engine).Probe(t.Context())
			is.NoErr(err)        // reachable
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
	_, err = client(t, "http://"+addr, "vllm").Probe(t.Context())
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                               // an *engine.Error
	is.Equal(ee.Kind, engine.KindUnavailable) // unreachable
	is.Equal(ee.Engine, "vllm")               // named
}

func TestProbeCanceled(t *testing.T) {
	is := is.New(t)
	srv := probeServer(t, map[string]route{"/health": {200, ""}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := client(t, srv.URL, "vllm").Probe(ctx)
	is.True(errors.Is(err, context.Canceled)) // ctx.Err()
}
