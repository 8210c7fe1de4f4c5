package loadgen

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// proxy is the in-process reverse proxy of loadgen's "proxy" target (benchrun
// runs the same handler as a process of its own, bin/relayproxy).
type proxy struct {
	url  *url.URL
	srv  *http.Server
	tr   *http.Transport
	done chan struct{}
}

// ProxyHandler is the plain Go relay the benchmarks compare orchestratord
// with: an httputil.ReverseProxy to target over tr that flushes every write
// (FlushInterval -1) and buffers each request body before proxying it:
// without that, Go 1.26 cuts a share of the streams right after their first
// event (see docs/performance.md).
func ProxyHandler(target *url.URL, tr http.RoundTripper) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		FlushInterval: -1,
		Transport:     tr,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		rp.ServeHTTP(w, r)
	})
}

// NewProxyTransport is the transport of a relay for conns concurrent
// streams.
func NewProxyTransport(conns int) *http.Transport { return newTransport(conns) }

// startProxy serves ProxyHandler to target on 127.0.0.1:0, in this process.
func startProxy(target *url.URL, conns int) (*proxy, error) {
	tr := newTransport(conns)
	handler := ProxyHandler(target, tr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	p := &proxy{
		url:  &url.URL{Scheme: "http", Host: ln.Addr().String()},
		srv:  &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)},
		tr:   tr,
		done: make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		// Serve fails only with its listener; the clients then count the
		// connection errors.
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// close stops the proxy and waits for its server goroutine.
func (p *proxy) close() {
	_ = p.srv.Close()
	<-p.done
	p.tr.CloseIdleConnections()
}

// newTransport is the one transport of a run: enough idle connections per
// host for every client, no compression, HTTP/1.1.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
