package nodeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// MaxResponseBytes bounds how much of a response body the client reads.
const MaxResponseBytes = 1 << 20

// DefaultTimeout bounds one request of a Client built without
// WithHTTPClient.
const DefaultTimeout = 10 * time.Second

var (
	// ErrUnknownNode: the orchestrator does not know the node (404); the
	// agent should register again. The error also matches a *StatusError.
	ErrUnknownNode = errors.New("nodeclient: unknown node")
	// ErrMalformedResponse: a 2xx answer whose body is not the expected JSON.
	ErrMalformedResponse = errors.New("nodeclient: malformed response")
)

// StatusError is a non-2xx answer. Envelope is the decoded error envelope,
// zero when the body was not one.
type StatusError struct {
	StatusCode int
	Envelope   wire.ErrorEnvelope
}

func (e *StatusError) Error() string {
	if e.Envelope.Code != "" {
		return "nodeclient: status " + strconv.Itoa(e.StatusCode) + ": " + e.Envelope.Error()
	}
	return "nodeclient: status " + strconv.Itoa(e.StatusCode)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests with hc (whose Timeout
// then applies instead of DefaultTimeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// Client talks to one orchestrator. It is safe for concurrent use.
type Client struct {
	base      string
	auth      string
	userAgent string
	hc        *http.Client
}

// New returns a client of the orchestrator at baseURL (e.g.
// "http://10.0.0.1:8080"; a trailing "/" or "/v2" is ignored). token is
// sent as "Authorization: Bearer <token>" when not empty.
func New(baseURL, token string, opts ...Option) *Client {
	base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v2")
	c := &Client{base: base, hc: &http.Client{Timeout: DefaultTimeout}}
	if token != "" {
		c.auth = "Bearer " + token
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CloseIdleConnections closes the kept-alive connections to the
// orchestrator (on shutdown).
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Register sends POST /v2/nodes/register.
func (c *Client) Register(ctx context.Context, req wire.NodeRegisterRequest) (wire.NodeRegisterResponse, error) {
	var out wire.NodeRegisterResponse
	err := c.do(ctx, http.MethodPost, "/v2/nodes/register", req, &out, nil)
	return out, err
}

// Heartbeat sends POST /v2/nodes/{nodeID}/heartbeat; ErrUnknownNode when
// the orchestrator does not know the node.
func (c *Client) Heartbeat(ctx context.Context, nodeID string, req wire.HeartbeatRequest) (wire.HeartbeatResponse, error) {
	var out wire.HeartbeatResponse
	err := c.do(ctx, http.MethodPost, "/v2/nodes/"+url.PathEscape(nodeID)+"/heartbeat", req, &out, ErrUnknownNode)
	return out, err
}

// Deregister sends DELETE /v2/nodes/{nodeID}; ErrUnknownNode when the
// orchestrator does not know the node.
func (c *Client) Deregister(ctx context.Context, nodeID string) error {
	return c.do(ctx, http.MethodDelete, "/v2/nodes/"+url.PathEscape(nodeID), nil, nil, ErrUnknownNode)
}

// do sends one request with body encoded as JSON (none when nil) and
// decodes a 2xx answer into out (ignored when nil). A 404 wraps notFound
// when it is not nil.
func (c *Client) do(ctx context.Context, method, path string, body, out any, notFound error) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("nodeclient: encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("nodeclient: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return fmt.Errorf("nodeclient: read %s %s: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{StatusCode: resp.StatusCode}
		if json.Unmarshal(data, &se.Envelope) != nil {
			se.Envelope = wire.ErrorEnvelope{}
		}
		if resp.StatusCode == http.StatusNotFound && notFound != nil {
			return fmt.Errorf("%w: %w", notFound, se)
		}
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrMalformedResponse, method, path, err)
	}
	return nil
}
