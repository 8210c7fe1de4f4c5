// Package enginepool hands out one engine client per pool, built from the
// pool's engine kind and URL, sharing one tuned HTTP transport.
package enginepool

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/llamacpp"
	"github.com/orchestratord/orchestratord/libs/engine/ollama"
	"github.com/orchestratord/orchestratord/libs/engine/openaicompat"
	"github.com/orchestratord/orchestratord/libs/engine/transport"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// Set caches engine clients by pool id, engine and URL.
type Set struct {
	http *http.Client
	mu   sync.Mutex
	byID map[string]entry
}

type entry struct {
	engine, url string
	client      engine.Client
}

// New returns a Set whose clients share one transport sized for many
// concurrent streams to few engines: plain-HTTP engines go through
// libs/engine/transport, which does each stream's I/O on the goroutine that
// relays it; https (a hosted API) through net/http's transport.
func New() *Set {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tls := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	tr := transport.New(transport.WithDialer(dialer), transport.WithMaxIdlePerHost(1024),
		transport.WithIdleTimeout(90*time.Second), transport.WithFallback(tls))
	return &Set{http: &http.Client{Transport: tr}, byID: map[string]entry{}}
}

// Client returns the client of a pool, making it on first use or when the
// pool's engine or URL changed.
func (s *Set) Client(p nodeapi.PoolView) (engine.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[p.PoolID]; ok && e.engine == p.Engine && e.url == p.URL {
		return e.client, nil
	}
	var c engine.Client
	switch p.Engine {
	case nodeapi.EngineLlamaCPP:
		c = llamacpp.New(p.URL, llamacpp.WithHTTPClient(s.http))
	case nodeapi.EngineOllama:
		c = ollama.New(p.URL, ollama.WithHTTPClient(s.http))
	case nodeapi.EngineVLLM, nodeapi.EngineTGI, nodeapi.EngineOpenAI:
		c = openaicompat.New(p.URL, p.Engine, openaicompat.WithHTTPClient(s.http))
	default:
		return nil, fmt.Errorf("enginepool: no adapter for engine %q", p.Engine)
	}
	s.byID[p.PoolID] = entry{engine: p.Engine, url: p.URL, client: c}
	return c, nil
}

// CloseIdle closes idle engine connections.
func (s *Set) CloseIdle() { s.http.CloseIdleConnections() }
