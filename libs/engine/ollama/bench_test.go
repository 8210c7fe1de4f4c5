package ollama

import (
	"context"
	"strings"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
)

// BenchmarkParseLine parses one token line: the per-chunk cost of the
// parser (the one allocation is the chunk string).
func BenchmarkParseLine(b *testing.B) {
	line := []byte(strings.TrimSuffix(tokenLine(" the"), "\n"))
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
}

// BenchmarkGenerateStream reads a 512-chunk stream through Generate from
// memory; ns/op and allocs/op are per chunk.
func BenchmarkGenerateStream(b *testing.B) {
	const n = 512
	var body strings.Builder
	for range n {
		body.WriteString(tokenLine(" tok"))
	}
	body.WriteString(finalLine(n, "length"))
	c := New("http://engine.invalid", WithHTTPClient(enginetest.BodyClient([]byte(body.String()))))
	emit := func([]string) error { return nil }
	req := engine.Request{Prompt: "p"}
	b.ReportAllocs()
	b.SetBytes(int64(body.Len() / n))
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		if _, err := c.Generate(context.Background(), req, emit); err != nil {
			b.Fatal(err)
		}
	}
}
