package enginetest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// Run runs the contract suite against the adapter h describes.
func Run(t *testing.T, h Harness) {
	t.Run("normal stream", func(t *testing.T) { testNormal(t, h) })
	t.Run("coalesced batch", func(t *testing.T) { testCoalesced(t, h) })
	t.Run("status before first chunk", func(t *testing.T) { testStatus(t, h) })
	t.Run("connection refused", func(t *testing.T) { testRefused(t, h) })
	t.Run("cut stream", func(t *testing.T) { testCut(t, h) })
	t.Run("error object mid-stream", func(t *testing.T) { testErrorFrame(t, h) })
	t.Run("token timeout", func(t *testing.T) { testTimeout(t, h) })
	t.Run("steady stream beats token timeout", func(t *testing.T) { testSteady(t, h) })
	t.Run("cancel mid-stream", func(t *testing.T) { testCancel(t, h) })
	t.Run("emit error", func(t *testing.T) { testEmitError(t, h) })
	t.Run("canceled before start", func(t *testing.T) { testCanceledBefore(t, h) })
	t.Run("connection reused", func(t *testing.T) { testReuse(t, h) })
}

// words are the chunks the scenarios stream.
func words() []string { return []string{"Paris", " is", " the", " capital", "."} }

func testNormal(t *testing.T, h Harness) {
	is := is.New(t)
	var path string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		sseHeader(w)
		if !h.NoComments {
			write(w, ": ping\n\n")
		}
		for _, word := range words() {
			write(w, h.Frame(word))
		}
		write(w, h.Final(len(words())))
	})
	var rec recorder
	res, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, rec.emit)
	is.NoErr(err)                                 // a complete stream succeeds
	is.Equal(path, h.Path)                        // posted to the generate endpoint
	is.Equal(rec.all(), words())                  // every chunk, in order
	is.Equal(res.TokensOut, len(words()))         // the engine's own count
	is.Equal(res.FinishReason, engine.FinishStop) // end of sequence
}

func testCoalesced(t *testing.T, h Harness) {
	is := is.New(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeader(w)
		var all strings.Builder
		for _, word := range words() {
			all.WriteString(h.Frame(word))
		}
		all.WriteString(h.Final(len(words())))
		write(w, all.String())
	})
	var rec recorder
	_, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, rec.emit)
	is.NoErr(err)                              // the stream completes
	is.Equal(rec.batches, [][]string{words()}) // frames written at once reach emit as one batch
}

func testStatus(t *testing.T, h Harness) {
	is := is.New(t)
	tests := []struct {
		name   string
		status int
		body   string
		kind   engine.ErrorKind
		msg    string
	}{
		{name: "500", status: 500, body: `{"error":{"code":500,"message":"boom","type":"server_error"}}`, kind: engine.KindUnavailable, msg: "boom"},
		{name: "503 loading", status: 503, body: `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`, kind: engine.KindUnavailable, msg: "Loading model"},
		{name: "429", status: 429, body: `{"error":"Model is overloaded","error_type":"overloaded"}`, kind: engine.KindUnavailable, msg: "Model is overloaded"},
		{name: "400", status: 400, body: `{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}`, kind: engine.KindEngine, msg: "max_tokens is too large"},
		{name: "404 plain text", status: 404, body: "404 page not found\n", kind: engine.KindEngine, msg: "404 page not found"},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			emitted := false
			_, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, func([]string) error { emitted = true; return nil })
			ee, ok := errors.AsType[*engine.Error](err)
			is.True(ok)                                       // an *engine.Error
			is.Equal(ee.Kind, tt.kind)                        // kind by status
			is.Equal(ee.Status, tt.status)                    // the HTTP status
			is.Equal(ee.Message, tt.msg)                      // the engine's message
			is.Equal(ee.Chunks, 0)                            // nothing streamed
			is.True(errors.Is(err, engine.ErrEngineReported)) // the cause
			is.True(!emitted)                                 // emit never called
		})
	}
}

func testRefused(t *testing.T, h Harness) {
	is := is.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.NoErr(err) // reserve a port
	addr := ln.Addr().String()
	is.NoErr(ln.Close()) // and free it: nothing listens there now
	_, err = generate(t, adapter(t, h, "http://"+addr), engine.Request{}, func([]string) error { return nil })
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                               // an *engine.Error
	is.Equal(ee.Kind, engine.KindUnavailable) // safe to retry elsewhere
	is.Equal(ee.Chunks, 0)                    // nothing streamed
}

func testCut(t *testing.T, h Harness) {
	is := is.New(t)
	tests := []struct {
		name   string
		chunks int
		abrupt bool // close the connection mid-response instead of ending it
		kind   engine.ErrorKind
	}{
		{name: "ended after 3", chunks: 3, kind: engine.KindReset},
		{name: "dropped after 2", chunks: 2, abrupt: true, kind: engine.KindReset},
		{name: "dropped after 1 mid-frame", chunks: 1, abrupt: true, kind: engine.KindReset},
		{name: "ended before the first", chunks: 0, kind: engine.KindUnavailable},
		{name: "dropped before the first", chunks: 0, abrupt: true, kind: engine.KindUnavailable},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				sseHeader(w)
				for _, word := range words()[:tt.chunks] {
					write(w, h.Frame(word))
				}
				if !tt.abrupt {
					return
				}
				write(w, h.Frame("never")[:10])
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			})
			var rec recorder
			_, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, rec.emit)
			ee, ok := errors.AsType[*engine.Error](err)
			is.True(ok)                                  // an *engine.Error
			is.Equal(ee.Kind, tt.kind)                   // reset after a chunk, unavailable before
			is.Equal(ee.Chunks, tt.chunks)               // chunks emitted before the cut
			is.Equal(len(rec.all()), tt.chunks)          // and exactly those were emitted
			is.True(errors.Is(err, engine.ErrTruncated)) // the stream ended early
		})
	}
}

func testErrorFrame(t *testing.T, h Harness) {
	is := is.New(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeader(w)
		write(w, h.Frame(words()[0]))
		write(w, h.Frame(words()[1]))
		write(w, h.ErrorFrame)
	})
	var rec recorder
	_, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, rec.emit)
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                          // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine) // the engine reported it
	is.Equal(ee.Message, h.ErrorMessage) // with its message
	is.Equal(ee.Chunks, 2)               // after two chunks
	is.Equal(rec.all(), words()[:2])     // which were emitted
}

func testTimeout(t *testing.T, h Harness) {
	is := is.New(t)
	tests := []struct {
		name   string
		chunks int  // chunks the engine sends before it hangs
		head   bool // whether it sends the response header first
	}{
		{name: "hang after the first chunk", chunks: 1, head: true},
		{name: "hang before the first chunk", head: true},
		{name: "hang before the header"},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			handlerDone := make(chan struct{})
			var srv *server
			srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
				defer close(handlerDone)
				if tt.head {
					sseHeader(w)
					_ = http.NewResponseController(w).Flush()
				}
				for _, word := range words()[:tt.chunks] {
					write(w, h.Frame(word))
				}
				select {
				case <-r.Context().Done():
				case <-srv.release:
				}
			})
			var rec recorder
			start := time.Now()
			_, err := generate(t, adapter(t, h, srv.URL), engine.Request{TokenTimeout: 100 * time.Millisecond}, rec.emit)
			ee, ok := errors.AsType[*engine.Error](err)
			is.True(ok)                                     // an *engine.Error
			is.Equal(ee.Kind, engine.KindTimeout)           // no chunk within the token timeout
			is.Equal(ee.Chunks, tt.chunks)                  // after the chunks that came
			is.Equal(len(rec.all()), tt.chunks)             // which were emitted
			is.True(errors.Is(err, engine.ErrTokenTimeout)) // the cause
			is.True(time.Since(start) < deadline)           // it did not wait for the context
			is.True(waitDone(handlerDone))                  // the engine saw its request end
		})
	}
}

func testSteady(t *testing.T, h Harness) {
	is := is.New(t)
	const n = 12
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeader(w)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range n {
			<-tick.C
			write(w, h.Frame("x"))
		}
		write(w, h.Final(n))
	})
	var rec recorder
	_, err := generate(t, adapter(t, h, srv.URL), engine.Request{TokenTimeout: 150 * time.Millisecond}, rec.emit)
	is.NoErr(err)               // chunks every 20 ms keep a 150 ms token timeout from firing over 240 ms
	is.Equal(len(rec.all()), n) // all of them
}

// blockingServer writes two chunks, then waits for its request to end and
// reports it on the returned channel.
func blockingServer(t *testing.T, h Harness, endless bool) (*server, <-chan struct{}) {
	seen := make(chan struct{})
	var srv *server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeader(w)
		write(w, h.Frame(words()[0]))
		write(w, h.Frame(words()[1]))
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				close(seen)
				return
			case <-srv.release:
				return
			case <-tick.C:
				if endless {
					write(w, h.Frame("more"))
				}
			}
		}
	})
	return srv, seen
}

func testCancel(t *testing.T, h Harness) {
	is := is.New(t)
	srv, seen := blockingServer(t, h, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var rec recorder
	_, err := adapter(t, h, srv.URL).Generate(ctx, engine.Request{Prompt: "p"}, func(batch []string) error {
		_ = rec.emit(batch)
		if len(rec.all()) >= 2 {
			cancel()
		}
		return nil
	})
	is.True(errors.Is(err, context.Canceled)) // ctx.Err() itself
	is.Equal(rec.all(), words()[:2])          // nothing emitted after the cancel
	is.True(waitDone(seen))                   // the engine saw its request canceled
}

func testEmitError(t *testing.T, h Harness) {
	is := is.New(t)
	srv, seen := blockingServer(t, h, true)
	errStop := errors.New("client gone")
	calls := 0
	_, err := generate(t, adapter(t, h, srv.URL), engine.Request{}, func([]string) error {
		calls++
		return errStop
	})
	is.Equal(err, errStop)  // the emit error, unchanged
	is.Equal(calls, 1)      // emit is not called again
	is.True(waitDone(seen)) // the engine saw its request closed
}

func testCanceledBefore(t *testing.T, h Harness) {
	is := is.New(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { sseHeader(w) })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := adapter(t, h, srv.URL).Generate(ctx, engine.Request{Prompt: "p"}, func([]string) error { return nil })
	is.True(errors.Is(err, context.Canceled)) // ctx.Err()
	is.Equal(len(srv.remoteAddrs()), 0)       // no request was sent
}

func testReuse(t *testing.T, h Harness) {
	is := is.New(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeader(w)
		write(w, h.Frame(words()[0]))
		write(w, h.Final(1))
		// The end of the body follows the terminal event a moment later, as
		// from a real engine, so the adapter has to wait for it to keep the
		// connection.
		<-time.After(5 * time.Millisecond)
	})
	a := adapter(t, h, srv.URL)
	for range 3 {
		_, err := generate(t, a, engine.Request{}, func([]string) error { return nil })
		is.NoErr(err) // each stream completes
	}
	remotes := srv.remoteAddrs()
	is.Equal(len(remotes), 3)        // three requests
	is.Equal(remotes[1], remotes[0]) // the connection went back to the pool
	is.Equal(remotes[2], remotes[0]) // and was reused again
}
