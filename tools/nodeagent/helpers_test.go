package nodeagent_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
	"github.com/orchestratord/orchestratord/tools/nodeagent"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	nodeToken = "node-token"
	interval  = 2 * time.Second // what the fake orchestrator asks for
	stepLimit = 10 * time.Second
)

// fakeClock hands every wait of the agent to the test, which fires it.
type fakeClock struct {
	now   time.Time
	waits chan wait
}

type wait struct {
	d  time.Duration
	ch chan time.Time
}

func (w wait) fire() { w.ch <- time.Time{} }

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.UnixMilli(1_700_000_000_000), waits: make(chan wait, 256)}
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := wait{d: d, ch: make(chan time.Time, 1)}
	c.waits <- w
	return w.ch
}

// next returns the agent's next wait: it has finished one round of probe,
// register and heartbeat.
func (c *fakeClock) next(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(stepLimit):
		t.Fatal("the agent did not finish a round")
		return wait{}
	}
}

// fakeOrchestrator serves the real node routes (echohttp over a Registry)
// behind a node-token check. down makes it drop every connection, restart
// swaps in an empty registry (an orchestrator restart forgets its nodes).
type fakeOrchestrator struct {
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	reg     atomic.Pointer[nodeapi.Registry]
	down    atomic.Bool
}

func newFakeOrchestrator(t *testing.T) *fakeOrchestrator {
	o := &fakeOrchestrator{}
	o.restart()
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.down.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		(*o.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *fakeOrchestrator) registry() *nodeapi.Registry { return o.reg.Load() }

func (o *fakeOrchestrator) restart() {
	reg := nodeapi.NewRegistry(time.Minute)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		env := wire.ErrorEnvelope{Code: wire.CodeInternal, Message: "internal error"}
		var ve *nodeapi.ValidationError
		switch {
		case errors.As(err, &ve):
			env = wire.ErrorEnvelope{Code: wire.CodeInvalidParams, Message: ve.Error()}
		case errors.Is(err, nodeapi.ErrUnknownNode):
			env = wire.ErrorEnvelope{Code: wire.CodeNotFound, Message: "node not found"}
		case errors.Is(err, echo.ErrForbidden):
			env = wire.ErrorEnvelope{Code: wire.CodeForbidden, Message: "wrong token"}
		}
		_ = c.JSON(env.HTTPStatus(), env)
	}
	auth := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Header.Get("Authorization") != "Bearer "+nodeToken {
				return echo.ErrForbidden
			}
			return next(c)
		}
	}
	echohttp.Register(e.Group("/v2"), reg, echohttp.WithWriteMiddleware(auth), echohttp.WithHeartbeatInterval(interval))
	var h http.Handler = e
	o.reg.Store(reg)
	o.handler.Store(&h)
}

// fakeLlama emits llama.cpp's /health, /slots and /props.
type fakeLlama struct {
	srv          *httptest.Server
	total, busy  atomic.Int32
	healthProbes atomic.Int32
	loading      atomic.Bool
}

func newFakeLlama(t *testing.T, total int) *fakeLlama {
	f := &fakeLlama{}
	f.total.Store(int32(total))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		f.healthProbes.Add(1)
		if f.loading.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /slots", func(w http.ResponseWriter, _ *http.Request) {
		slots := make([]map[string]any, f.total.Load())
		for i := range slots {
			slots[i] = map[string]any{"id": i, "n_ctx": 4096, "is_processing": i < int(f.busy.Load())}
		}
		_ = json.NewEncoder(w).Encode(slots)
	})
	mux.HandleFunc("GET /props", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"total_slots": f.total.Load(),
			"default_generation_settings": map[string]any{"n_ctx": 4096},
			"model_path":                  "/models/llama 3 8b.gguf", "build_info": "b4242-abcdef"})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// fakeOllama serves /api/tags, /api/ps, /api/version, /api/generate (load
// and unload) and /api/delete, and records the calls that change state.
type fakeOllama struct {
	srv *httptest.Server

	mu     sync.Mutex
	local  []string
	loaded []string
	calls  []string
	gate   chan struct{} // when set, a load waits for it
}

func newFakeOllama(t *testing.T, local, loaded []string) *fakeOllama {
	f := &fakeOllama{local: local, loaded: loaded}
	list := func(names []string) map[string]any {
		models := make([]map[string]any, len(names))
		for i, n := range names {
			models[i] = map[string]any{"name": n, "model": n}
		}
		return map[string]any{"models": models}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(list(f.local))
	})
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(list(f.loaded))
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"version":"0.6.2"}`))
	})
	mux.HandleFunc("POST /api/generate", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model     string `json:"model"`
			KeepAlive int    `json:"keep_alive"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		gate := f.gate
		f.mu.Unlock()
		if gate != nil && req.KeepAlive != 0 {
			<-gate
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if !contains(f.local, req.Model) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"model '` + req.Model + `' not found"}`))
			return
		}
		if req.KeepAlive == 0 {
			f.calls = append(f.calls, "unload "+req.Model)
			f.loaded = remove(f.loaded, req.Model)
		} else {
			f.calls = append(f.calls, "load "+req.Model)
			f.loaded = append(remove(f.loaded, req.Model), req.Model)
		}
		_, _ = w.Write([]byte(`{"model":"` + req.Model + `","response":"","done":true,"done_reason":"load"}`))
	})
	mux.HandleFunc("DELETE /api/delete", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, "delete "+req.Model)
		f.local = remove(f.local, req.Model)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOllama) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func remove(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// harness runs one agent against a fake orchestrator.
type harness struct {
	clock   *fakeClock
	orch    *fakeOrchestrator
	agent   *nodeagent.Agent
	control string // base URL of the agent's control API
	client  *http.Client
	stop    func() error
}

// start runs an agent for node "gpu-1" with engines; it stops (and
// deregisters) when the test ends unless stop was called.
func start(t *testing.T, orch *fakeOrchestrator, engines ...nodeagent.EngineSpec) *harness {
	t.Helper()
	h := &harness{clock: newFakeClock(), orch: orch, client: &http.Client{}}
	cfg := nodeagent.Config{Orchestrator: orch.srv.URL, Token: nodeToken, NodeID: "gpu-1", MachineID: "m-1",
		Version: "test", CPUCores: 8, Engines: engines, BackoffBase: time.Second, BackoffMax: 4 * time.Second}
	agent, err := nodeagent.New(cfg, nodeagent.WithClock(h.clock), nodeagent.WithRand(func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	h.agent = agent
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.control = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, ln) }()
	var once sync.Once
	var runErr error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
			h.client.CloseIdleConnections()
		})
		return runErr
	}
	t.Cleanup(func() { _ = h.stop() })
	return h
}

// post sends a control request with the given bearer token.
func (h *harness) post(t *testing.T, path, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.control+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}

// until fires the agent's waits until cond holds for the pool's last
// report, and returns that report.
func (h *harness) until(t *testing.T, poolID string, cond func(nodeapi.PoolView) bool) nodeapi.PoolView {
	t.Helper()
	deadline := time.Now().Add(stepLimit)
	for time.Now().Before(deadline) {
		w := h.clock.next(t)
		if v, ok := h.orch.registry().Pool(poolID); ok && cond(v) {
			return v
		}
		w.fire()
	}
	t.Fatal("the pool never reached the expected state")
	return nodeapi.PoolView{}
}

func llamaSpec(url string) nodeagent.EngineSpec {
	return nodeagent.EngineSpec{PoolID: "gpu1-llama", Engine: "llamacpp", URL: url, Models: []string{"org/llama-3-8b"}}
}
