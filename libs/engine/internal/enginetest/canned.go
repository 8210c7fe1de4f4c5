package enginetest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// CannedServer answers every request on a kept-alive connection with the
// same bytes, written at once: an engine whose tokens are all ready, as
// tools/simengine with no token delay. It listens on 127.0.0.1 and stops
// when tb ends; it returns the base URL.
func CannedServer(tb testing.TB, answer []byte) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			})
		}
	})
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	return "http://" + ln.Addr().String()
}

// ChunkedAnswer is a 200 text/event-stream answer carrying stream as one
// chunk of a chunked body, for CannedServer.
func ChunkedAnswer(stream string) []byte {
	var wire bytes.Buffer
	wire.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	fmt.Fprintf(&wire, "%x\r\n%s\r\n0\r\n\r\n", len(stream), stream)
	return wire.Bytes()
}
