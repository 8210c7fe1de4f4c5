package transport_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

// cannedServer answers every request on a kept-alive connection with the
// same bytes, written at once: an engine whose tokens are all ready.
func cannedServer(b *testing.B, answer []byte) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
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
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	return "http://" + ln.Addr().String()
}

// BenchmarkStream is one streamed generation over loopback: the request,
// the head, 64 chunks of 250 bytes read through an 8 KiB buffer, the
// connection back to the pool.
func BenchmarkStream(b *testing.B) {
	var wire bytes.Buffer
	wire.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	for i := range 64 {
		frame := fmt.Sprintf("data: {\"id\":%d,\"text\":%q}\n\n", i, strings.Repeat("x", 200))
		fmt.Fprintf(&wire, "%x\r\n%s\r\n", len(frame), frame)
	}
	wire.WriteString("0\r\n\r\n")
	url := cannedServer(b, wire.Bytes())
	tr := transport.New()
	b.Cleanup(tr.CloseIdleConnections)
	p := make([]byte, 8<<10)
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"prompt":"hi"}`))
		if err != nil {
			b.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := resp.Body.Read(p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		resp.Body.Close()
	}
}
