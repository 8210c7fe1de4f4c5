package openai

import (
	"context"
	"io"
	"testing"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// BenchmarkStreamRelay relays a finished 256-token log as chat chunks: the
// cost of the token path per stream (tokens/op = 256).
func BenchmarkStreamRelay(b *testing.B) {
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = " token"
	}
	l := streaming.NewLog()
	_, _ = l.AppendTokens(texts)
	end(l, wire.FinishStop, 0)
	s, err := New(newFakeTasks(), func() []string { return nil })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		st := &Stream{svc: s, taskID: "t", log: l, r: newRenderer(kindChat, "01J0000000000000000000000", "tiny", 1), usage: true}
		if err := st.Serve(context.Background(), io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
}
