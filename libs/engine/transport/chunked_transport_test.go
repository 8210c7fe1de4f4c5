package transport_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
)

// keepAliveServer answers every request with parts written one after the
// other, each after the first once a token arrives on gate; it keeps the
// connection for the next request and counts connections.
func keepAliveServer(t *testing.T, gate <-chan struct{}, parts ...string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.New(t).NoErr(err) // listen
	var (
		conns atomic.Int32
		wg    sync.WaitGroup
		mu    sync.Mutex
		open  []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Go(func() { answerAll(c, gate, parts) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String(), &conns
}

func answerAll(c net.Conn, gate <-chan struct{}, parts []string) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		for i, part := range parts {
			if i > 0 {
				<-gate
			}
			if _, err := io.WriteString(c, part); err != nil {
				return
			}
		}
	}
}

const chunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

// The trailer section is read to its end, so the connection is at the
// next answer and is reused.
func TestTrailersAreReadAndTheConnectionReused(t *testing.T) {
	is := is.New(t)
	url, conns := keepAliveServer(t, nil, chunkedHead+"5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Usage: 7\r\nX-More: a\r\n\r\n")
	hc, _ := client(t)
	for range 3 {
		_, body := get(t, hc, http.MethodPost, url, "{}")
		is.Equal(body, "hello world") // the payload without its framing
	}
	is.Equal(conns.Load(), int32(1)) // one connection for all three
}

// Bytes after the end of an answer mean the engine and the transport no
// longer agree on where answers start: the connection is closed, not
// reused, whether the bytes came with the head (and were left in the
// connection's buffer) or with a body read in place.
func TestBytesAfterTheAnswerCloseTheConnection(t *testing.T) {
	tests := []struct {
		name  string
		parts []string
	}{
		{"chunked, with the head", []string{chunkedHead + "5\r\nhello\r\n0\r\n\r\nEXTRA"}},
		{"chunked, read in place", []string{chunkedHead, "5\r\nhello\r\n0\r\n\r\nEXTRA"}},
		{"content length", []string{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			gate := make(chan struct{}, len(tt.parts))
			url, conns := keepAliveServer(t, gate, tt.parts...)
			hc, _ := client(t)
			for range 2 {
				resp, err := hc.Post(url, "application/json", strings.NewReader("{}"))
				is.NoErr(err) // the head arrived
				for range len(tt.parts) - 1 {
					gate <- struct{}{}
				}
				body, err := io.ReadAll(resp.Body)
				is.NoErr(err)                   // the body ends cleanly
				is.Equal(string(body), "hello") // with its payload
				is.NoErr(resp.Body.Close())
			}
			is.Equal(conns.Load(), int32(2)) // the first connection was not reused
		})
	}
}

// A chunked body reads the same into any buffer, one byte at a time
// included.
func TestChunkedBodyIntoSmallBuffers(t *testing.T) {
	is := is.New(t)
	srv, conns := server(t, func(w http.ResponseWriter, r *http.Request) {
		for i := range 20 {
			fmt.Fprintf(w, "data: {\"token\":%d}\n\n", i)
			w.(http.Flusher).Flush()
		}
	})
	var want strings.Builder
	for i := range 20 {
		fmt.Fprintf(&want, "data: {\"token\":%d}\n\n", i)
	}
	hc, _ := client(t)
	for _, size := range []int{1, 2, 7, 511, 512, 8 << 10} {
		t.Run(fmt.Sprintf("into %d bytes", size), func(t *testing.T) {
			is := is.New(t)
			resp, err := hc.Get(srv.URL)
			is.NoErr(err) // answered
			body, err := readInto(resp.Body, make([]byte, size))
			is.NoErr(err)                         // the body ends cleanly
			is.Equal(string(body), want.String()) // with every event
			is.NoErr(resp.Body.Close())
		})
	}
	is.Equal(conns.Load(), int32(1)) // every answer on one connection
}

// readInto reads r to its end with reads into p.
func readInto(r io.Reader, p []byte) ([]byte, error) {
	var out []byte
	for {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// A head longer than the connection's read buffer parses the same.
func TestHeadsLongerThanTheReadBuffer(t *testing.T) {
	is := is.New(t)
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long: " + strings.Repeat("v", 3000) + "\r\n")
	for i := range 100 {
		fmt.Fprintf(&head, "X-Field-%d: value %d\r\n", i, i)
	}
	url, conns := keepAliveServer(t, nil, head.String()+"\r\n5\r\nhello\r\n0\r\n\r\n")
	hc, _ := client(t)
	for range 2 {
		resp, body := get(t, hc, http.MethodPost, url, "{}")
		is.Equal(len(resp.Header.Get("X-Long")), 3000)      // the long line whole
		is.Equal(resp.Header.Get("X-Field-99"), "value 99") // and the last field
		is.Equal(body, "hello")                             // then the body
	}
	is.Equal(conns.Load(), int32(1)) // on one connection
}
