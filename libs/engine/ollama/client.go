package ollama

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// EngineName is what Client.Engine returns.
const EngineName = "ollama"

var _ engine.Client = (*Client)(nil)

// Client talks to one Ollama server. It is safe for concurrent use.
type Client struct {
	base   string
	cfg    httpstream.Config
	stream *httpstream.Streamer
	// endpoints of Generate: /api/generate and /api/chat
	generate, chat *httpstream.Endpoint
	frames         sync.Pool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client use hc instead of its own keep-alive client.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.cfg.HTTPClient = hc }
}

// WithReadBufferSize sets the size of the buffered reader of each stream
// (default 32 KiB): the most a single read can take from the connection.
func WithReadBufferSize(n int) Option {
	return func(c *Client) { c.cfg.ReadBuffer = n }
}

// WithAPIKey sends "Authorization: Bearer <key>" with every request (an
// Ollama behind an authenticating proxy).
func WithAPIKey(key string) Option {
	return func(c *Client) { c.cfg.APIKey = key }
}

// New returns a Client for the Ollama server at baseURL (e.g.
// "http://127.0.0.1:11434"); a trailing "/api" is accepted and dropped.
func New(baseURL string, opts ...Option) *Client {
	base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/api")
	c := &Client{base: base, cfg: httpstream.Config{Engine: EngineName}}
	for _, opt := range opts {
		opt(c)
	}
	c.stream = httpstream.NewStreamer(c.cfg)
	c.generate, c.chat = c.stream.Endpoint(base+generatePath), c.stream.Endpoint(base+chatPath)
	c.frames.New = func() any { return new(frames) }
	return c
}

// Engine returns "ollama".
func (c *Client) Engine() string { return EngineName }

// CloseIdleConnections closes the kept-alive connections to the engine.
func (c *Client) CloseIdleConnections() { c.stream.CloseIdleConnections() }

// Generate streams a completion from /api/generate or, for a chat,
// /api/chat; see engine.Client.
func (c *Client) Generate(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error) {
	path, body, err := requestBody(req)
	if err != nil {
		return engine.Result{}, &engine.Error{Kind: engine.KindEngine, Engine: EngineName,
			Err: fmt.Errorf("%w: %w", engine.ErrInvalidRequest, err)}
	}
	f := c.frames.Get().(*frames)
	defer c.frames.Put(f)
	f.reset()
	ep := c.generate
	if path == chatPath {
		ep = c.chat
	}
	out, err := c.stream.Post(ctx, ep, body, req.TokenTimeout, f, emit)
	if err != nil {
		return engine.Result{}, err
	}
	return f.result(out), nil
}
