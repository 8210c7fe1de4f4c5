package enginetest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// Adapter is an engine.Client whose idle connections a test can close.
type Adapter interface {
	engine.Client
	CloseIdleConnections()
}

// Harness describes one adapter's wire format to the suite.
type Harness struct {
	// Path is the endpoint Generate posts a plain (non-chat) request to.
	Path string
	// New returns the adapter for the server at baseURL.
	New func(baseURL string) Adapter
	// Frame is the event carrying one chunk of text, blank line included.
	Frame func(text string) string
	// Final is the terminal event(s) of a stream of n chunks that stopped at
	// end of sequence and reports n generated tokens.
	Final func(n int) string
	// ErrorFrame is an in-stream error event whose message is ErrorMessage.
	ErrorFrame string
	// ErrorMessage is the message ErrorFrame carries.
	ErrorMessage string
	// NoComments says the wire format has no comment lines (NDJSON), so
	// the normal stream sends no SSE ": ping" before its first event.
	NoComments bool
}

// deadline bounds every wait of the suite.
const deadline = 5 * time.Second

// server is an httptest server whose handler the scenario sets; it records
// the remote address of every request and releases blocked handlers when
// the test ends.
type server struct {
	*httptest.Server
	release chan struct{}
	mu      sync.Mutex
	remotes []string
}

func newServer(t *testing.T, handler http.HandlerFunc) *server {
	s := &server{release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.remotes = append(s.remotes, r.RemoteAddr)
		s.mu.Unlock()
		// Read the request as an engine does before it answers; the server
		// watches the connection for the client going away only after that.
		_, _ = io.Copy(io.Discard, r.Body)
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *server) remoteAddrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.remotes...)
}

// adapter returns h's adapter for srv and closes its idle connections when
// the test ends.
func adapter(t *testing.T, h Harness, baseURL string) Adapter {
	a := h.New(baseURL)
	t.Cleanup(a.CloseIdleConnections)
	return a
}

// write writes s to w and flushes it.
func write(w http.ResponseWriter, s string) {
	_, _ = w.Write([]byte(s))
	_ = http.NewResponseController(w).Flush()
}

// sseHeader starts an event stream answer.
func sseHeader(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
}

// recorder collects what emit receives.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	chunks  []string
}

func (r *recorder) emit(batch []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, append([]string(nil), batch...))
	r.chunks = append(r.chunks, batch...)
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.chunks...)
}

// waitDone reports whether done is closed within the suite's deadline.
func waitDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	case <-time.After(deadline):
		return false
	}
}

// generate runs a plain request with a bounded context.
func generate(t *testing.T, a Adapter, req engine.Request, emit func([]string) error) (engine.Result, error) {
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	if req.Prompt == "" {
		req.Prompt = "The capital of France is"
	}
	return a.Generate(ctx, req, emit)
}
