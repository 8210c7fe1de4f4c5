package httpstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

// seenRequest is what an engine saw of a request.
type seenRequest struct {
	method, path, body string
	header             http.Header
	contentLength      int64
}

// recordingEngine answers every request with one chunk and the terminal
// event, and records the requests.
func recordingEngine(t *testing.T) (*httptest.Server, func() []seenRequest) {
	t.Helper()
	var (
		mu   sync.Mutex
		seen []seenRequest
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{method: r.Method, path: r.URL.Path, body: string(body), header: r.Header.Clone(), contentLength: r.ContentLength})
		mu.Unlock()
		_, _ = io.WriteString(w, "tok a\nend\n")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}
}

// clients are the HTTP clients a Streamer is given: net/http's transport and
// the daemon's.
func clients(t *testing.T) map[string]*http.Client {
	tr := transport.New()
	t.Cleanup(tr.CloseIdleConnections)
	std := NewHTTPClient()
	t.Cleanup(std.CloseIdleConnections)
	return map[string]*http.Client{"net/http": std, "engine transport": {Transport: tr}}
}

func post(t *testing.T, s *Streamer, ep *Endpoint) (Outcome, error) {
	return s.Post(t.Context(), ep, []byte(`{"prompt":"hi"}`), 0, lineParser{}, func([]string) error { return nil })
}

func TestPostRequest(t *testing.T) {
	srv, seen := recordingEngine(t)
	withUser, err := url.Parse(srv.URL)
	is.New(t).NoErr(err) // the server's URL parses
	withUser.User = url.UserPassword("ann", "secret")
	tests := []struct {
		name, url, apiKey, authorization string
	}{
		{name: "plain", url: srv.URL + "/v1/completions"},
		{name: "api key", url: srv.URL + "/v1/completions", apiKey: "k1", authorization: "Bearer k1"},
		{name: "credentials in the URL", url: withUser.String() + "/v1/completions", authorization: "Basic YW5uOnNlY3JldA=="},
		{name: "api key and credentials", url: withUser.String() + "/v1/completions", apiKey: "k1", authorization: "Bearer k1"},
	}
	is.New(t).True(len(tests) > 0) // the table is not empty
	for clientName, hc := range clients(t) {
		for _, tt := range tests {
			t.Run(clientName+"/"+tt.name, func(t *testing.T) {
				is := is.New(t)
				s := NewStreamer(Config{Engine: "test", HTTPClient: hc, APIKey: tt.apiKey})
				before := len(seen())
				out, err := post(t, s, s.Endpoint(tt.url))
				is.NoErr(err)           // streamed
				is.Equal(out.Chunks, 1) // one chunk
				all := seen()
				is.Equal(len(all), before+1) // one request
				got := all[len(all)-1]
				is.Equal(got.method, http.MethodPost)                        // a POST
				is.Equal(got.path, "/v1/completions")                        // to the endpoint's path
				is.Equal(got.body, `{"prompt":"hi"}`)                        // with the body
				is.Equal(got.contentLength, int64(len(`{"prompt":"hi"}`)))   // and its length
				is.Equal(got.header.Get("Content-Type"), "application/json") // JSON
				is.Equal(got.header.Get("Accept"), "text/event-stream")      // asking for a stream
				is.Equal(got.header.Get("Authorization"), tt.authorization)  // credentials as http.Client sends them
			})
		}
	}
}

func TestPostRequestsShareNothingMutable(t *testing.T) {
	is := is.New(t)
	srv, seen := recordingEngine(t)
	tr := transport.New()
	t.Cleanup(tr.CloseIdleConnections)
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{Transport: tr}})
	ep := s.Endpoint(srv.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := post(t, s, ep)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		is.NoErr(err) // every concurrent stream on one endpoint
	}
	is.Equal(len(seen()), 16)                                   // each sent its request
	is.Equal(ep.header.Get("Content-Type"), "application/json") // the endpoint's header is as made
	is.Equal(len(ep.header), 2)                                 // and nothing was added to it
}

func TestEndpointDropsAnEmptyPort(t *testing.T) {
	is := is.New(t)
	s := NewStreamer(Config{Engine: "test"})
	is.Equal(s.Endpoint("http://10.0.0.7:/v1").url.Host, "10.0.0.7")   // as http.NewRequest does
	is.Equal(s.Endpoint("http://[fe80::1]:/v1").url.Host, "[fe80::1]") // also after an IPv6 address
	is.Equal(s.Endpoint("http://[fe80::1]/v1").url.Host, "[fe80::1]")  // which has no port to drop
}

func TestPostBadURL(t *testing.T) {
	is := is.New(t)
	s := NewStreamer(Config{Engine: "test"})
	_, err := post(t, s, s.Endpoint("http://[::1"))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                    // an engine error
	is.Equal(ee.Kind, engine.KindUnavailable)      // the engine cannot be reached
	is.True(strings.Contains(err.Error(), "[::1")) // naming the URL
}

func TestPostFollowsRedirects(t *testing.T) {
	var old atomic.Int32
	moved := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/old" {
			old.Add(1)
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
			return
		}
		moved <- string(body)
		_, _ = io.WriteString(w, "tok a\nend\n")
	}))
	t.Cleanup(srv.Close)
	for clientName, hc := range clients(t) {
		t.Run(clientName, func(t *testing.T) {
			is := is.New(t)
			s := NewStreamer(Config{Engine: "test", HTTPClient: hc})
			before := old.Load()
			out, err := post(t, s, s.Endpoint(srv.URL+"/old"))
			is.NoErr(err)                        // the redirect was followed
			is.Equal(out.Chunks, 1)              // to the stream
			is.Equal(<-moved, `{"prompt":"hi"}`) // which got the body
			is.True(old.Load() > before)         // after the redirect
		})
	}
}

func TestPostWithCookieJarGoesThroughTheClient(t *testing.T) {
	is := is.New(t)
	srv, seen := recordingEngine(t)
	jar, err := cookiejar.New(nil)
	is.NoErr(err) // jar
	u, err := url.Parse(srv.URL)
	is.NoErr(err) // the server's URL
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "s1"}})
	tr := transport.New()
	t.Cleanup(tr.CloseIdleConnections)
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{Transport: tr, Jar: jar}})
	ep := s.Endpoint(srv.URL)
	_, err = post(t, s, ep)
	is.NoErr(err) // streamed
	_, err = post(t, s, ep)
	is.NoErr(err) // twice
	all := seen()
	is.Equal(all[0].header.Get("Cookie"), "session=s1") // the jar's cookie was sent
	is.Equal(all[1].header.Get("Cookie"), "session=s1") // once per request
	is.Equal(len(ep.header), 2)                         // and never added to the endpoint's header
}

// oneShotEngine answers one request per connection with one chunk and the
// terminal event, then closes the connection without saying so: a
// kept-alive connection the engine dropped while idle.
func oneShotEngine(t *testing.T) (string, *atomic.Int32, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.New(t).NoErr(err) // listen
	var conns atomic.Int32
	bodies := make(chan string, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				body, _ := io.ReadAll(req.Body)
				bodies <- string(body)
				const stream = "tok a\nend\n"
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(stream), stream)
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "http://" + ln.Addr().String(), &conns, bodies
}

func TestPostIsSentAgainWhenTheIdleConnectionWasClosed(t *testing.T) {
	is := is.New(t)
	url, conns, bodies := oneShotEngine(t)
	tr := transport.New()
	t.Cleanup(tr.CloseIdleConnections)
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{Transport: tr}})
	ep := s.Endpoint(url)
	_, err := post(t, s, ep)
	is.NoErr(err) // first stream
	_, err = post(t, s, ep)
	is.NoErr(err)                         // second stream, on a new connection
	is.Equal(conns.Load(), int32(2))      // after the idle one turned out closed
	is.Equal(<-bodies, `{"prompt":"hi"}`) // the first request's body
	is.Equal(<-bodies, `{"prompt":"hi"}`) // and the second's, sent again whole
}
