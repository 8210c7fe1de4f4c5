package llamacpp

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
const EngineName = "llamacpp"

var _ engine.Client = (*Client)(nil)

// Client talks to one llama-server. It is safe for concurrent use.
type Client struct {
	base       string
	cfg        httpstream.Config
	stream     *httpstream.Streamer
	completion *httpstream.Endpoint // Generate's /completion
	frames     sync.Pool
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

// WithAPIKey sends "Authorization: Bearer <key>" (llama-server --api-key).
func WithAPIKey(key string) Option {
	return func(c *Client) { c.cfg.APIKey = key }
}

// New returns a Client for the llama-server at baseURL (e.g. "http://10.0.0.5:8080").
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), cfg: httpstream.Config{Engine: EngineName}}
	for _, opt := range opts {
		opt(c)
	}
	c.stream = httpstream.NewStreamer(c.cfg)
	c.completion = c.stream.Endpoint(c.base + "/completion")
	c.frames.New = func() any { return new(frames) }
	return c
}

// Engine returns "llamacpp".
func (c *Client) Engine() string { return EngineName }

// CloseIdleConnections closes the kept-alive connections to the engine.
func (c *Client) CloseIdleConnections() { c.stream.CloseIdleConnections() }

// Generate streams a completion from /completion; see engine.Client.
func (c *Client) Generate(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error) {
	body, err := requestBody(req)
	if err != nil {
		return engine.Result{}, &engine.Error{Kind: engine.KindEngine, Engine: EngineName,
			Err: fmt.Errorf("%w: %w", engine.ErrInvalidRequest, err)}
	}
	f := c.frames.Get().(*frames)
	defer c.frames.Put(f)
	f.reset()
	out, err := c.stream.Post(ctx, c.completion, body, req.TokenTimeout, f, emit)
	if err != nil {
		return engine.Result{}, err
	}
	return f.result(out), nil
}
