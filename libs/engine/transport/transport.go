// Package transport is an http.RoundTripper for plain-HTTP/1.1 engine
// traffic that does every read and write on the caller's goroutine.
//
// net/http's Transport gives each connection a reader and a writer
// goroutine and hands every request, response and end of body between them
// and the caller over channels: four goroutine switches per request, which
// is a tenth of what relaying a short generation costs. An engine
// connection carries one request at a time and its body is read to the end
// by the caller anyway, so the caller can do the I/O itself: write the
// request, read the head, read the body, and put the connection back when
// the body ends. Cancelation sets a past deadline on the connection, which
// unblocks a read at once. Schemes other than http (https to a hosted API)
// go to a fallback RoundTripper.
//
// Import rule: standard library only.
package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of New.
const (
	DefaultMaxIdlePerHost = 1024
	DefaultIdleTimeout    = 90 * time.Second
	DefaultDialTimeout    = 5 * time.Second
	// readBufferSize: a chunked body is read from the connection straight
	// into the caller's buffer (chunkedBody), so this buffer only takes the
	// status line and headers (117 to 132 bytes from tools/simengine), the
	// chunks that come with them, and reads into buffers under
	// minDirectRead. BenchmarkReadBufferSize (head, 64 chunks of 250 bytes,
	// 8 KiB reader): 1, 2 and 4 KiB all take 3 reads when every chunk is
	// ready and 65 when they come one by one; 16 KiB saves one read in the
	// first case and copies every byte twice. 1 KiB a connection is 512 KiB
	// at 512 streams (16 KiB was 8 MB). A longer head still parses.
	readBufferSize = 1 << 10
	// maxPooledRequest bounds the request buffers kept for reuse.
	maxPooledRequest = 64 << 10
	// maxHeadBytes bounds the status line and headers of an answer.
	maxHeadBytes = 1 << 20
)

// ErrMalformed is returned (wrapped) for an answer that is not HTTP/1.x.
var ErrMalformed = errors.New("transport: malformed response")

// Option configures a Transport.
type Option func(*Transport)

// WithMaxIdlePerHost bounds the kept-alive connections per host.
func WithMaxIdlePerHost(n int) Option { return func(t *Transport) { t.maxIdle = max(n, 0) } }

// WithIdleTimeout sets how long an idle connection may be reused.
func WithIdleTimeout(d time.Duration) Option { return func(t *Transport) { t.idleTimeout = d } }

// WithDialer sets the dialer of new connections.
func WithDialer(d *net.Dialer) Option { return func(t *Transport) { t.dialer = d } }

// WithFallback sets the RoundTripper for schemes other than http (default:
// a clone of http.DefaultTransport without its proxy).
func WithFallback(rt http.RoundTripper) Option { return func(t *Transport) { t.fallback = rt } }

// WithClock sets the clock the idle timeout is measured with.
func WithClock(now func() time.Time) Option { return func(t *Transport) { t.now = now } }

// Transport is the RoundTripper. It is safe for concurrent use.
type Transport struct {
	dialer      *net.Dialer
	maxIdle     int
	idleTimeout time.Duration
	fallback    http.RoundTripper
	now         func() time.Time

	// requestBufs recycles the buffers a request is assembled in before its
	// one write, so that no connection holds a write buffer.
	requestBufs sync.Pool

	mu   sync.Mutex
	idle map[string][]*conn // host:port → idle connections, most recent last
}

// New returns a Transport.
func New(opts ...Option) *Transport {
	t := &Transport{
		dialer:      &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second},
		maxIdle:     DefaultMaxIdlePerHost,
		idleTimeout: DefaultIdleTimeout,
		now:         time.Now,
		idle:        map[string][]*conn{},
	}
	t.requestBufs.New = func() any { return new([]byte) }
	for _, opt := range opts {
		opt(t)
	}
	if t.fallback == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		tr.DisableCompression = true
		t.fallback = tr
	}
	return t
}

// conn is one connection and its buffers.
type conn struct {
	nc     net.Conn
	br     *bufio.Reader // reads through head
	head   *headLimit
	addr   string
	idleAt time.Time
}

// headLimit is what the connection's buffer reads from: while the head of
// an answer is read it gives at most maxHeadBytes, so that an engine that
// sends an endless status line or endless headers fails the request
// instead of growing the daemon's memory (net/textproto bounds neither).
type headLimit struct {
	r    io.Reader
	left int64 // bytes the head may still take; < 0: no bound (a body)
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.left < 0 {
		return h.r.Read(p)
	}
	if h.left == 0 {
		return 0, fmt.Errorf("%w: the head is longer than %d bytes", ErrMalformed, maxHeadBytes)
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}

func newConn(nc net.Conn, addr string) *conn {
	head := &headLimit{r: nc, left: -1}
	return &conn{nc: nc, br: bufio.NewReaderSize(head, readBufferSize), head: head, addr: addr}
}

// RoundTrip implements http.RoundTripper. A request that fails on a reused
// connection before any byte of the answer came is sent once more on a new
// connection when its body can be replayed (the engine closed the idle
// connection meanwhile).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "http" {
		return t.fallback.RoundTrip(req)
	}
	if err := validHeader(req.Header); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	addr := hostPort(req.URL.Host)
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(ctx, addr)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, sent, err := t.exchange(ctx, c, req)
		if err == nil {
			return resp, nil
		}
		c.nc.Close()
		if !reused || sent || attempt > 0 || ctx.Err() != nil || !replay(req) {
			closeBody(req)
			return nil, err
		}
	}
}

// CloseIdleConnections closes every idle connection.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*conn{}
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.nc.Close()
		}
	}
}

// get returns an idle connection to addr that has not timed out, or dials
// a new one.
func (t *Transport) get(ctx context.Context, addr string) (*conn, bool, error) {
	now := t.now()
	t.mu.Lock()
	var stale []*conn
	var c *conn
	for cs := t.idle[addr]; len(cs) > 0; cs = t.idle[addr] {
		last := cs[len(cs)-1]
		cs[len(cs)-1] = nil
		t.idle[addr] = cs[:len(cs)-1]
		if t.idleTimeout > 0 && now.Sub(last.idleAt) > t.idleTimeout {
			stale = append(stale, last)
			continue
		}
		c = last
		break
	}
	t.mu.Unlock()
	for _, s := range stale {
		s.nc.Close()
	}
	if c != nil {
		return c, true, nil
	}
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return newConn(nc, addr), false, nil
}

// put keeps c for reuse, or closes it when the host has enough.
func (t *Transport) put(c *conn) {
	c.idleAt = t.now()
	t.mu.Lock()
	if cs := t.idle[c.addr]; len(cs) < t.maxIdle {
		t.idle[c.addr] = append(cs, c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	c.nc.Close()
}

// exchange writes req on c and reads the head of the answer. sent reports
// whether any byte of the answer arrived (then the request must not be
// repeated).
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request) (resp *http.Response, sent bool, err error) {
	// Cancelation unblocks any read or write on c at once.
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, bool, error) {
		stop()
		if cerr := ctx.Err(); cerr != nil {
			return nil, sent, cerr
		}
		return nil, sent, err
	}
	buf := t.requestBufs.Get().(*[]byte)
	wire, err := appendRequest((*buf)[:0], req)
	if err == nil {
		_, err = c.nc.Write(wire)
	}
	if cap(wire) <= maxPooledRequest {
		*buf = wire[:0]
		t.requestBufs.Put(buf)
	}
	if err != nil {
		return fail(err)
	}
	for {
		c.head.left = maxHeadBytes // what is buffered already counts free
		if _, err := c.br.Peek(1); err != nil {
			return fail(err)
		}
		sent = true
		resp, err = readHead(c.br, req)
		if err != nil {
			return fail(err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// 1xx informational answers precede the real one.
	}
	c.head.left = -1 // the body is bounded by its framing, or by nothing
	b := &body{t: t, c: c, ctx: ctx, stop: stop, keep: keepAlive(req, resp)}
	switch {
	case req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified:
		resp.ContentLength = 0
		b.src = eofReader{}
	case chunked(resp.Header):
		resp.ContentLength = -1
		resp.TransferEncoding = []string{"chunked"}
		resp.Header.Del("Transfer-Encoding")
		b.src = newChunkedBody(c.br, c.nc)
	case resp.ContentLength >= 0:
		b.src = &lengthReader{r: c.br, left: resp.ContentLength}
	default:
		b.src = c.br // until the server closes
		b.keep = false
	}
	resp.Body = b
	if resp.ContentLength == 0 {
		b.eof = true
		b.finish(true)
	}
	return resp, true, nil
}

// replay rewinds a request's body for a second attempt.
func replay(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if req.GetBody == nil {
		return false
	}
	b, err := req.GetBody()
	if err != nil {
		return false
	}
	req.Body = b
	return true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// hostPort adds the default port to a URL host.
func hostPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return net.JoinHostPort(host, "80")
}

// validHeader refuses header values that would break the request's framing.
func validHeader(h http.Header) error {
	for k, vs := range h {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return fmt.Errorf("transport: invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return fmt.Errorf("transport: invalid value of header %q", k)
			}
		}
	}
	return nil
}
