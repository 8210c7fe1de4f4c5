package transport_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// server starts an HTTP server on loopback that counts its connections.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func client(t *testing.T, opts ...transport.Option) (*http.Client, *transport.Transport) {
	t.Helper()
	tr := transport.New(opts...)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, tr
}

func get(t *testing.T, hc *http.Client, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	is.New(t).NoErr(err) // request
	resp, err := hc.Do(req)
	is.New(t).NoErr(err) // answered
	b, err := io.ReadAll(resp.Body)
	is.New(t).NoErr(err) // body read
	is.New(t).NoErr(resp.Body.Close())
	return resp, string(b)
}

func TestStreamsChunkedAndReusesTheConnection(t *testing.T) {
	is := is.New(t)
	srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %s %d\n\n", got, i)
			w.(http.Flusher).Flush()
		}
	})
	hc, _ := client(t)
	for range 3 {
		resp, body := get(t, hc, http.MethodPost, srv.URL+"/completion?x=1", `{"p":1}`)
		is.Equal(resp.StatusCode, 200)                                                    // ok
		is.Equal(resp.ContentLength, int64(-1))                                           // chunked
		is.Equal(resp.Header.Get("Content-Type"), "text/event-stream")                    // headers
		is.Equal(body, "data: {\"p\":1} 0\n\ndata: {\"p\":1} 1\n\ndata: {\"p\":1} 2\n\n") // the whole stream
	}
	is.Equal(conns.Load(), int32(1)) // one connection for all three
}

func TestContentLengthBodiesAndEmptyAnswers(t *testing.T) {
	is := is.New(t)
	srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		}
	})
	hc, _ := client(t)
	resp, body := get(t, hc, http.MethodGet, srv.URL+"/health", "")
	is.Equal(resp.ContentLength, int64(5)) // length known
	is.Equal(body, "hello")                // and read
	resp, body = get(t, hc, http.MethodGet, srv.URL+"/empty", "")
	is.Equal(resp.StatusCode, http.StatusNoContent) // 204
	is.Equal(body, "")                              // has no body
	resp, _ = get(t, hc, http.MethodHead, srv.URL+"/health", "")
	is.Equal(resp.ContentLength, int64(0)) // HEAD has no body
	is.Equal(conns.Load(), int32(1))       // all on one connection
}

// Cancelation unblocks a read waiting in the connection's buffer (a small
// read) and one waiting in the caller's buffer (a chunked body decoded in
// place).
func TestCancelUnblocksTheReadAndClosesTheConnection(t *testing.T) {
	for _, size := range []int{64, 8 << 10} {
		t.Run(fmt.Sprintf("read into %d bytes", size), func(t *testing.T) {
			is := is.New(t)
			gone := make(chan struct{})
			srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					return // the request after the cancel
				}
				_, _ = io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done() // the client's close ends the request
				close(gone)
			})
			hc, _ := client(t)
			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
			is.NoErr(err) // request
			resp, err := hc.Do(req)
			is.NoErr(err) // head arrived
			buf := make([]byte, size)
			n, err := resp.Body.Read(buf)
			is.NoErr(err)                                // the first event
			is.Equal(string(buf[:n]), "data: first\n\n") // as sent
			readErr := make(chan error, 1)
			go func() { _, err := resp.Body.Read(buf); readErr <- err }()
			cancel()
			select {
			case err := <-readErr:
				is.True(errors.Is(err, context.Canceled)) // the blocked read returns the cancelation
			case <-time.After(5 * time.Second):
				t.Fatal("the read did not return after cancel")
			}
			select {
			case <-gone: // the engine saw the connection close
			case <-time.After(5 * time.Second):
				t.Fatal("the server did not see the request end")
			}
			is.NoErr(resp.Body.Close())
			get(t, hc, http.MethodGet, srv.URL, "")
			is.Equal(conns.Load(), int32(2)) // the canceled connection was not reused
		})
	}
}

// oneShotServer answers one request per connection, then closes it without
// saying so: a kept-alive connection the engine dropped while idle.
func oneShotServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.New(t).NoErr(err) // listen
	var conns atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err == nil {
				body, _ := io.ReadAll(req.Body)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), &conns
}

func TestARequestOnAConnectionClosedWhileIdleIsSentAgain(t *testing.T) {
	is := is.New(t)
	url, conns := oneShotServer(t)
	hc, _ := client(t)
	_, body := get(t, hc, http.MethodPost, url, "one")
	is.Equal(body, "one") // first answer
	_, body = get(t, hc, http.MethodPost, url, "two")
	is.Equal(body, "two")            // the body was replayed on a new connection
	is.Equal(conns.Load(), int32(2)) // after the idle one turned out closed
}

// rawServer answers every connection with the given bytes.
func rawServer(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.New(t).NoErr(err) // listen
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_, _ = io.WriteString(c, answer)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String()
}

func TestBrokenAnswers(t *testing.T) {
	tests := []struct {
		name, answer string
		headErr      error // from Do
		bodyErr      error // from reading the body
	}{
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", transport.ErrMalformed, nil},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", transport.ErrMalformed, nil},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", transport.ErrMalformed, nil},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", nil, io.ErrUnexpectedEOF},
		{"cut chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", nil, io.ErrUnexpectedEOF},
		{"no last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", nil, io.ErrUnexpectedEOF},
		// well-formed but past the 1 MiB bound of a head
		{"huge status line", "HTTP/1.1 200 " + strings.Repeat("o", 1100<<10) + "\r\nContent-Length: 0\r\n\r\n", transport.ErrMalformed, nil},
		{"huge headers", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: "+strings.Repeat("a", 1000)+"\r\n", 1100) + "Content-Length: 0\r\n\r\n", transport.ErrMalformed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			hc, _ := client(t)
			resp, err := hc.Get(rawServer(t, tt.answer))
			is.True(errors.Is(err, tt.headErr)) // the head's failure
			if err != nil {
				return
			}
			_, err = io.ReadAll(resp.Body)
			is.True(errors.Is(err, tt.bodyErr)) // the body's failure
			is.NoErr(resp.Body.Close())
		})
	}
}

func TestUntilCloseBodiesAndConnectionClose(t *testing.T) {
	is := is.New(t)
	hc, _ := client(t)
	resp, err := hc.Get(rawServer(t, "HTTP/1.0 200 OK\r\n\r\nuntil the end"))
	is.NoErr(err) // HTTP/1.0 answer
	body, err := io.ReadAll(resp.Body)
	is.NoErr(err)                           // read until the server closed
	is.Equal(string(body), "until the end") // all of it
	is.True(resp.Close)                     // not kept alive

	srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	get(t, hc, http.MethodGet, srv.URL, "")
	get(t, hc, http.MethodGet, srv.URL, "")
	is.Equal(conns.Load(), int32(2)) // Connection: close is honoured
}

func TestEarlyCloseAndIdleTimeout(t *testing.T) {
	is := is.New(t)
	srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	})
	now := time.Unix(1000, 0)
	hc, _ := client(t, transport.WithIdleTimeout(time.Minute), transport.WithClock(func() time.Time { return now }))
	resp, err := hc.Get(srv.URL)
	is.NoErr(err)               // answered
	is.NoErr(resp.Body.Close()) // closed before reading it
	get(t, hc, http.MethodGet, srv.URL, "")
	is.Equal(conns.Load(), int32(2)) // an unread body's connection is not reused
	get(t, hc, http.MethodGet, srv.URL, "")
	is.Equal(conns.Load(), int32(2)) // a fully read one is
	now = now.Add(2 * time.Minute)
	get(t, hc, http.MethodGet, srv.URL, "")
	is.Equal(conns.Load(), int32(3)) // unless it was idle too long
}

func TestInvalidHeadersAndFallback(t *testing.T) {
	is := is.New(t)
	hc, _ := client(t)
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil)
	is.NoErr(err) // request
	req.Header.Set("Authorization", "Bearer a\r\nX-Evil: 1")
	_, err = hc.Do(req)
	is.True(err != nil) // a header that would split the request is refused

	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "over tls")
	}))
	defer tls.Close()
	fallback := tls.Client().Transport.(*http.Transport)
	defer fallback.CloseIdleConnections()
	hc, _ = client(t, transport.WithFallback(fallback))
	_, body := get(t, hc, http.MethodGet, tls.URL, "")
	is.Equal(body, "over tls") // https goes to the fallback
}
