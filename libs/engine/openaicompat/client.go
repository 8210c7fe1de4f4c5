package openaicompat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// DefaultEngine is the engine name used when New is given "".
const DefaultEngine = "openai"

var _ engine.Client = (*Client)(nil)

// Client talks to one OpenAI-compatible server. It is safe for concurrent use.
type Client struct {
	base   string
	cfg    httpstream.Config
	stream *httpstream.Streamer
	// endpoints of Generate: /v1/completions and /v1/chat/completions
	completions, chat *httpstream.Endpoint
	frames            sync.Pool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client use hc instead of its own keep-alive client.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.cfg.HTTPClient = hc }
}

// WithReadBufferSize sets the size of the buffered reader of each stream
// (default 8 KiB): the most a single read can take from the connection.
func WithReadBufferSize(n int) Option {
	return func(c *Client) { c.cfg.ReadBuffer = n }
}

// WithAPIKey sends "Authorization: Bearer <key>" with every request.
func WithAPIKey(key string) Option {
	return func(c *Client) { c.cfg.APIKey = key }
}

// New returns a Client for the server at baseURL (e.g. "http://10.0.0.7:8000")
// that reports itself as engineName ("vllm", "tgi", "openai", ...; "" means "openai").
func New(baseURL, engineName string, opts ...Option) *Client {
	if engineName == "" {
		engineName = DefaultEngine
	}
	base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
	c := &Client{base: base, cfg: httpstream.Config{Engine: engineName}}
	for _, opt := range opts {
		opt(c)
	}
	c.stream = httpstream.NewStreamer(c.cfg)
	c.completions, c.chat = c.stream.Endpoint(base+completionsPath), c.stream.Endpoint(base+chatPath)
	c.frames.New = func() any { return new(frames) }
	return c
}

// Engine returns the engine name given to New.
func (c *Client) Engine() string { return c.cfg.Engine }

// CloseIdleConnections closes the kept-alive connections to the engine.
func (c *Client) CloseIdleConnections() { c.stream.CloseIdleConnections() }

// Generate streams a completion from /v1/completions or, for a chat,
// /v1/chat/completions; see engine.Client.
func (c *Client) Generate(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error) {
	path, body, err := requestBody(req)
	if err != nil {
		return engine.Result{}, &engine.Error{Kind: engine.KindEngine, Engine: c.cfg.Engine,
			Err: fmt.Errorf("%w: %w", engine.ErrInvalidRequest, err)}
	}
	f := c.frames.Get().(*frames)
	defer c.frames.Put(f)
	f.reset()
	ep := c.completions
	if path == chatPath {
		ep = c.chat
	}
	out, err := c.stream.Post(ctx, ep, body, req.TokenTimeout, f, emit)
	if err != nil {
		return engine.Result{}, err
	}
	return f.result(out), nil
}
