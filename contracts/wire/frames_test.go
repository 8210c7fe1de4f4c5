package wire_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

var trickyText = []string{
	"", "hello", " world", "\n", "a\"b\\c", "<script>&</script>", "\x00\x01\x1f\b\f\t\r",
	"é", "日本語", "🙂", "\u2028\u2029", "bad\xffutf8", "\xe2\x82", "\x7f",
}

func TestTokenFrameAppendJSON(t *testing.T) {
	for _, text := range trickyText {
		t.Run(text, func(t *testing.T) {
			is := is.New(t)
			f := wire.TokenFrame{T: text, I: 1234567}
			want, err := json.Marshal(f)
			is.NoErr(err)                                                 // encoding/json encodes
			is.Equal(string(f.AppendJSON(nil)), string(want))             // same bytes as encoding/json
			is.Equal(string(f.AppendJSON([]byte("x"))), "x"+string(want)) // appends to dst
		})
	}
}

func TestEndFrameAppendJSON(t *testing.T) {
	tests := []wire.EndFrame{
		{TokensOut: 0, Canceled: true},
		{TokensOut: 64, DecodeMs: 812, FinishReason: wire.FinishStop},
		{TokensOut: 3, DecodeMs: 5, FinishReason: wire.FinishDrain, Canceled: true},
	}
	for _, f := range tests {
		t.Run(string(f.FinishReason), func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(f)
			is.NoErr(err)                                     // encoding/json encodes
			is.Equal(string(f.AppendJSON(nil)), string(want)) // same bytes as encoding/json
		})
	}
}

func TestErrorFrameAppendJSON(t *testing.T) {
	tests := []wire.ErrorFrame{
		{Code: wire.CodeWorkerReset, Message: "engine went away", Engine: wire.EngineLlamaCpp},
		{Code: wire.CodeQueueFullDropLRU, Message: "evicted <by> a newer task"},
	}
	for _, f := range tests {
		t.Run(string(f.Code), func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(f)
			is.NoErr(err)                                     // encoding/json encodes
			is.Equal(string(f.AppendJSON(nil)), string(want)) // same bytes as encoding/json
		})
	}
}

func TestFramePayloads(t *testing.T) {
	tests := []struct {
		name   string
		sample string
		into   any
	}{
		{"started queued", `{"queue_position":2,"predicted_start_ms":350}`, &wire.StartedFrame{}},
		{"started placed", `{"queue_position":0,"predicted_start_ms":0,"pool_id":"p0","engine":"llamacpp"}`, &wire.StartedFrame{}},
		{"metrics queued", `{"queue_position":1,"queue_depth":4,"kv_warmth":false}`, &wire.MetricsFrame{}},
		{"metrics running", `{"queue_depth":0,"on_time_probability":0.97,"kv_warmth":true,
			"tokens_budget_remaining":900,"time_budget_remaining_ms":0,"cost_budget_remaining":0.25}`, &wire.MetricsFrame{}},
		{"metrics verbose", `{"queue_depth":2,"kv_warmth":false,"human":"waiting for a slot",
			"prep":{"step":"model_fetch","progress":0.5}}`, &wire.MetricsFrame{}},
		{"token", `{"t":"Hello","i":0}`, &wire.TokenFrame{}},
		{"end", `{"tokens_out":64,"decode_ms":800,"finish_reason":"length","canceled":false}`, &wire.EndFrame{}},
		{"end canceled", `{"tokens_out":0,"decode_ms":0,"canceled":true}`, &wire.EndFrame{}},
		{"error", `{"code":"DECODE_TIMEOUT","message":"no token for 60s","engine":"vllm"}`, &wire.ErrorFrame{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			decodeStrict(t, tt.sample, tt.into)
			out, err := json.Marshal(tt.into)
			is.NoErr(err)                                            // encodes
			is.Equal(generic(t, out), generic(t, []byte(tt.sample))) // round trip, unlimited budgets stay absent
		})
	}
}

func FuzzTokenFrameAppendJSON(f *testing.F) {
	for _, s := range trickyText {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, text string, i int) {
		is := is.New(t)
		frame := wire.TokenFrame{T: text, I: i}
		want, err := json.Marshal(frame)
		is.NoErr(err)                                         // encoding/json encodes
		is.Equal(string(frame.AppendJSON(nil)), string(want)) // same bytes as encoding/json
	})
}

func BenchmarkTokenFrameAppendJSON(b *testing.B) {
	f := wire.TokenFrame{T: " world", I: 41}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.AppendJSON(buf[:0])
	}
}

func BenchmarkTokenFrameMarshal(b *testing.B) {
	f := wire.TokenFrame{T: " world", I: 41}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(f); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMetricsFrameAppendJSON(t *testing.T) {
	pos, tokens, ms := 3, int64(1200), int64(-5)
	floats := []float64{0, 1, 0.5, 0.987654321, 1e-6, 1e-7, 1.5e-9, 123456789, 1e20, 1e21, 3.2e25, -0.25, -1e-8}
	tests := []wire.MetricsFrame{
		{},
		{QueuePosition: &pos, QueueDepth: 7},
		{QueueDepth: 1, KVWarmth: true, TokensBudgetRemaining: &tokens, TimeBudgetRemainingMs: &ms},
		{Human: "first token after 12ms <&> \u2028", Prep: &wire.PrepProgress{Step: "load \"tiny\"", Progress: 0.25}},
	}
	for _, f := range floats {
		tests = append(tests, wire.MetricsFrame{OnTimeProbability: &f, CostBudgetRemaining: &f, Prep: &wire.PrepProgress{Progress: f}})
	}
	is.New(t).True(len(tests) > len(floats)) // the table is not empty
	for i, f := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(f)
			is.NoErr(err)                                                 // encoding/json encodes
			is.Equal(string(f.AppendJSON(nil)), string(want))             // same bytes as encoding/json
			is.Equal(string(f.AppendJSON([]byte("x"))), "x"+string(want)) // appends to dst
		})
	}
}
