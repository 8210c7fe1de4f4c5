package simengine

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the simulated engine. It is an http.Handler; Serve runs it on a
// listener.
type Server struct {
	cfg     config
	vocab   []string
	slots   *slotPool
	stats   *tracker
	faults  faultState
	loaded  loadedModels // Ollama API: the models held in memory
	mux     *http.ServeMux
	readyAt time.Time

	seq      atomic.Uint64 // request counter, for ids
	inflight sync.WaitGroup
	bufs     sync.Pool // *[]byte frame and text buffers
}

func (s *Server) getBuf() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 2048)
	return &b
}

// New builds a Server. Its load time starts now.
func New(opts ...Option) (*Server, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		vocab:   newVocab(),
		slots:   newSlotPool(cfg.slots),
		stats:   newTracker(),
		faults:  faultState{f: cfg.faults},
		mux:     http.NewServeMux(),
		readyAt: cfg.now().Add(cfg.loadTime),
		loaded:  loadedModels{models: slices.Clone(cfg.models)},
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST /completion", s.handleLlamaCompletion)
	s.mux.HandleFunc("POST /completions", s.handleLlamaCompletion)
	s.mux.HandleFunc("GET /health", s.handleHealth)
	s.mux.HandleFunc("GET /v1/health", s.handleHealth)
	s.mux.HandleFunc("GET /slots", s.handleSlots)
	s.mux.HandleFunc("GET /props", s.handleProps)
	s.mux.HandleFunc("POST /v1/completions", s.handleOAICompletion)
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleOAIChat)
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /models", s.handleModels)
	s.mux.HandleFunc("POST /api/generate", s.handleOllamaGenerate)
	s.mux.HandleFunc("POST /api/chat", s.handleOllamaChat)
	s.mux.HandleFunc("GET /api/version", s.handleOllamaVersion)
	s.mux.HandleFunc("GET /api/tags", s.handleOllamaTags)
	s.mux.HandleFunc("GET /api/ps", s.handleOllamaPs)
	s.mux.HandleFunc("GET /_sim/faults", s.handleGetFaults)
	s.mux.HandleFunc("POST /_sim/faults", s.handlePostFaults)
	s.mux.HandleFunc("GET /_sim/stats", s.handleStats)
	s.mux.HandleFunc("/", s.handleNotFound)
}

// ServeHTTP routes a request. While the server is loading, every route but
// the model lists and /_sim/* answers 503 as the real servers do.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	if s.Loading() && !alwaysServed(r.URL.Path) {
		if r.Method == http.MethodPost {
			s.stats.rejected()
		}
		s.writeLoading(w, r.URL.Path)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func alwaysServed(path string) bool {
	switch path {
	case "/v1/models", "/models", "/api/version", "/api/tags", "/api/ps":
		return true
	}
	return len(path) >= 6 && path[:6] == "/_sim/"
}

// Loading reports whether the server answers "loading": during the load time
// or while the loading fault is set.
func (s *Server) Loading() bool {
	return s.cfg.now().Before(s.readyAt) || s.faults.loading()
}

// Stats returns the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// WaitIdle blocks until no generation is active or waiting, or ctx is done.
func (s *Server) WaitIdle(ctx context.Context) error { return s.stats.waitIdle(ctx) }

// Faults returns the current fault settings.
func (s *Server) Faults() Faults { return s.faults.get() }

// UpdateFaults applies u and returns the resulting settings.
func (s *Server) UpdateFaults(u FaultUpdate) (Faults, error) { return s.faults.update(u) }

// Models returns the served model names.
func (s *Server) Models() []string { return slices.Clone(s.cfg.models) }

// Serve serves HTTP on ln until ctx is done, then shuts down: open streams get
// grace to finish, the rest are cut. It returns once every handler returned.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		if hs.Shutdown(sctx) != nil {
			_ = hs.Close()
		}
		cancel()
		err = <-errc
	}
	_ = hs.Close()
	s.inflight.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// nextID returns a deterministic 32-hex-digit id (the shape of vLLM's
// random_uuid().hex) and the request's sequence number.
func (s *Server) nextID() (string, int64) {
	n := s.seq.Add(1)
	var b [32]byte
	hi, lo := mix64(s.cfg.seed^n), mix64(s.cfg.seed+n*0x9e3779b97f4a7c15)
	const hex = "0123456789abcdef"
	for i := range 16 {
		b[i] = hex[(hi>>(60-4*i))&0xf]
		b[16+i] = hex[(lo>>(60-4*i))&0xf]
	}
	return string(b[:]), int64(n)
}

// model resolves a requested model name: empty means the default model.
func (s *Server) model(name string) (string, bool) {
	if name == "" {
		return s.cfg.models[0], true
	}
	return name, slices.Contains(s.cfg.models, name)
}

// requestID is the client's X-Request-Id when set (as vLLM uses it), else id.
func requestID(r *http.Request, prefix, id string) string {
	if v := r.Header.Get("X-Request-Id"); v != "" {
		return prefix + v
	}
	return prefix + id
}

func (s *Server) writeLoading(w http.ResponseWriter, path string) {
	switch {
	case (path == "/health" || path == "/v1/health") && s.cfg.flavor == FlavorVLLM:
		w.WriteHeader(http.StatusServiceUnavailable)
	case isOpenAIPath(path):
		writeOAIError(w, http.StatusServiceUnavailable, "ServiceUnavailableError", "Loading model", "")
	case isOllamaPath(path):
		writeOllamaError(w, http.StatusServiceUnavailable, "server busy, please try again.  maximum pending requests exceeded")
	default:
		writeLlamaError(w, http.StatusServiceUnavailable, "Loading model")
	}
}

func isOllamaPath(path string) bool {
	return len(path) >= 5 && path[:5] == "/api/"
}

func isOpenAIPath(path string) bool {
	return len(path) >= 4 && path[:4] == "/v1/" && path != "/v1/health"
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.flavor == FlavorVLLM {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusOK, contentTypeLlamaJSON, []byte(`{"status":"ok"}`))
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if isOpenAIPath(r.URL.Path) {
		writeOAIError(w, http.StatusNotFound, "NotFoundError", "Not Found", "")
		return
	}
	if isOllamaPath(r.URL.Path) {
		writeJSON(w, http.StatusNotFound, "text/plain", []byte("404 page not found"))
		return
	}
	writeLlamaError(w, http.StatusNotFound, "File Not Found")
}

const (
	contentTypeLlamaJSON = "application/json; charset=utf-8"
	contentTypeOAIJSON   = "application/json"
	contentTypeLlamaSSE  = "text/event-stream"
	contentTypeOAISSE    = "text/event-stream; charset=utf-8"
)

func writeJSON(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// llamaErrorType maps a status to format_error_response's type.
func llamaErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusNotImplemented:
		return "not_supported_error"
	case http.StatusServiceUnavailable:
		return "unavailable_error"
	}
	return "server_error"
}

// writeLlamaError writes llama-server's {"error":{"code","message","type"}}.
func writeLlamaError(w http.ResponseWriter, status int, msg string) {
	var j jsonWriter
	j.obj().key("error").obj().
		key("code").num(int64(status)).
		key("message").str(msg).
		key("type").str(llamaErrorType(status)).
		end().end()
	writeJSON(w, status, contentTypeLlamaJSON, j.b)
}

// writeOAIError writes vLLM's {"error":{"message","type","param","code"}}.
func writeOAIError(w http.ResponseWriter, status int, typ, msg, param string) {
	var j jsonWriter
	j.obj().key("error").obj().key("message").str(msg).key("type").str(typ).key("param")
	if param == "" {
		j.null()
	} else {
		j.str(param)
	}
	j.key("code").num(int64(status)).end().end()
	writeJSON(w, status, contentTypeOAIJSON, j.b)
}

// serveGeneration waits for a slot, runs the generation and keeps the counters.
func (s *Server) serveGeneration(w http.ResponseWriter, r *http.Request, p *genParams, enc frameEncoder, contentType string, rf requestFaults) {
	ctx := r.Context()
	s.stats.waitBegin()
	sl, err := s.slots.acquire(ctx)
	s.stats.waitEnd(p.id, err == nil)
	if err != nil {
		return
	}
	defer s.slots.release(sl)
	sl.taskID.Store(p.taskID)
	sl.nPrompt.Store(int64(p.promptTokens))
	sl.nDecoded.Store(0)
	sl.nRemain.Store(int64(p.maxTokens))
	sl.hasNewLine.Store(false)
	sl.processing.Store(true)

	w.Header().Set("Content-Type", contentType)
	res := s.run(ctx, w, p, enc, sl, rf)
	s.stats.finish(p.id, res.outcome, res.hung, res.tokens)
	if res.abort {
		panic(http.ErrAbortHandler)
	}
}
