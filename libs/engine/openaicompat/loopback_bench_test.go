package openaicompat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

// cannedEngine answers every request on a kept-alive connection with the
// same chunked stream, written at once: an engine whose tokens are all
// ready, as tools/simengine with no token delay.
func cannedEngine(b *testing.B, stream string) string {
	b.Helper()
	var wire bytes.Buffer
	wire.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	fmt.Fprintf(&wire, "%x\r\n%s\r\n0\r\n\r\n", len(stream), stream)
	answer := wire.Bytes()
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

// BenchmarkGenerateLoopback is one 64-token /v1/completions generation
// through the daemon's engine transport over loopback, as orchestratord
// relays a task: the request, the head, the chunks, the connection back to
// the pool. One op is one generation.
func BenchmarkGenerateLoopback(b *testing.B) {
	const n = 64
	var stream bytes.Buffer
	for range n {
		stream.WriteString(textChunk(" tok"))
	}
	stream.WriteString(finalChunks(n, "length"))
	url := cannedEngine(b, stream.String())
	tr := transport.New()
	b.Cleanup(tr.CloseIdleConnections)
	c := New(url, "vllm", WithHTTPClient(&http.Client{Transport: tr}))
	req := engine.Request{Model: "tiny", Prompt: "hello there", MaxTokens: n}
	tokens := 0
	emit := func(texts []string) error { tokens += len(texts); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Generate(ctx, req, emit); err != nil {
			b.Fatal(err)
		}
	}
	if tokens != n*b.N {
		b.Fatalf("%d tokens, want %d", tokens, n*b.N)
	}
}
