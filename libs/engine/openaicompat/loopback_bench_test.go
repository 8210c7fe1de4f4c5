package openaicompat

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

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
	url := enginetest.CannedServer(b, enginetest.ChunkedAnswer(stream.String()))
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
