package ollama

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
	versionBody = `{"version":"0.17.4"}`
	tagsBody    = `{"models":[{"name":"tiny:latest","model":"tiny:latest","modified_at":"2026-02-20T10:14:58.84Z","size":564832,` +
		`"digest":"3f0e1c9b2a","details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],` +
		`"parameter_size":"141.31K","quantization_level":"F32"}},` +
		`{"name":"org/other:q4","model":"org/other:q4","modified_at":"2026-02-19T08:00:00Z","size":1,"digest":"aa","details":{}}]}`
	psBody = `{"models":[{"name":"tiny:latest","model":"tiny:latest","size":49873920,"digest":"3f0e1c9b2a",` +
		`"details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],"parameter_size":"141.31K",` +
		`"quantization_level":"F32"},"expires_at":"2318-06-01T10:14:59.2Z","size_vram":0,"context_length":512}]}`
)

// route is one canned answer of the fake Ollama.
type route struct {
	status int
	body   string
}

func ollamaServer(t *testing.T, routes map[string]route) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("404 page not found"))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
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
			name:   "a model loaded",
			routes: map[string]route{"/api/version": {200, versionBody}, "/api/tags": {200, tagsBody}, "/api/ps": {200, psBody}},
			want: engine.Health{Live: true, Ready: true, SlotsFree: -1, CtxMax: 512, Version: "0.17.4",
				Models: []string{"tiny", "org/other:q4"}},
		},
		{
			name:   "nothing loaded",
			routes: map[string]route{"/api/version": {200, versionBody}, "/api/tags": {200, tagsBody}, "/api/ps": {200, `{"models":[]}`}},
			want: engine.Health{Live: true, Ready: true, SlotsFree: -1, Version: "0.17.4",
				Models: []string{"tiny", "org/other:q4"}},
		},
		{
			name:   "no models at all",
			routes: map[string]route{"/api/version": {200, versionBody}, "/api/tags": {200, `{"models":[]}`}, "/api/ps": {200, `{"models":[]}`}},
			want:   engine.Health{Live: true, Ready: true, SlotsFree: -1, Version: "0.17.4"},
		},
		{
			name:   "tags failing",
			routes: map[string]route{"/api/version": {200, versionBody}, "/api/tags": {500, `{"error":"disk"}`}, "/api/ps": {200, psBody}},
			want:   engine.Health{Live: true, SlotsFree: -1, Version: "0.17.4"},
		},
		{
			name:   "ps garbled",
			routes: map[string]route{"/api/version": {200, versionBody}, "/api/tags": {200, tagsBody}, "/api/ps": {200, `{"models":`}},
			want:   engine.Health{Live: true, SlotsFree: -1, Version: "0.17.4"},
		},
		{
			name:   "not Ollama",
			routes: map[string]route{},
			want:   engine.Health{Live: true, SlotsFree: -1},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := ollamaServer(t, tt.routes)
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
	is.True(!h.Ready)                         // not ready
}

func TestProbeCanceled(t *testing.T) {
	is := is.New(t)
	srv := ollamaServer(t, map[string]route{"/api/version": {200, versionBody}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := client(t, srv.URL).Probe(ctx)
	is.True(errors.Is(err, context.Canceled)) // ctx.Err() when the context is done
}
