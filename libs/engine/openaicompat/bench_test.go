package openaicompat

import (
	"context"
	"strings"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
)

// chatChunk is a vLLM chat stream chunk carrying text.
func chatChunk(text string) string {
	return `data: {"id":"chatcmpl-1b0f6e0c2a8c4c7e9a6c","object":"chat.completion.chunk","created":1732700100,` +
		`"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"delta":{"content":"` + text +
		`"},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n"
}

// BenchmarkParseChunk parses one chunk: the per-chunk cost of the parser
// (the text is appended to the batch's buffer: no allocation).
func BenchmarkParseChunk(b *testing.B) {
	tests := []struct {
		name string
		line string
	}{
		{name: "completions", line: textChunk(" the")},
		{name: "chat", line: chatChunk(" the")},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			line := []byte(strings.TrimSuffix(tt.line, "\n\n"))
			f := new(frames)
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			var text []byte
			for b.Loop() {
				var err error
				if text, _, err = f.Line(line, text[:0]); err != nil || len(text) == 0 {
					b.Fatal(text, err)
				}
			}
		})
	}
}

// BenchmarkGenerateStream reads a 512-chunk chat stream through Generate
// from memory; ns/op and allocs/op are per chunk.
func BenchmarkGenerateStream(b *testing.B) {
	const n = 512
	var body strings.Builder
	for range n {
		body.WriteString(chatChunk(" tok"))
	}
	body.WriteString(finalChunks(n, "stop"))
	c := New("http://engine.invalid", "vllm", WithHTTPClient(enginetest.BodyClient([]byte(body.String()))))
	emit := func([]string) error { return nil }
	req := engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}}
	b.ReportAllocs()
	b.SetBytes(int64(body.Len() / n))
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		if _, err := c.Generate(context.Background(), req, emit); err != nil {
			b.Fatal(err)
		}
	}
}
