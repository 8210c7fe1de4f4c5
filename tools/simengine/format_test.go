package simengine

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	is.New(t).Equal(got, string(want)) // matches testdata/<name>.golden
}

func TestGoldenStreams(t *testing.T) {
	cases := []struct {
		name, path, body string
		status           int
		contentType      string
	}{
		{"llamacpp_stream", "/completion", `{"prompt":"The quick brown fox","n_predict":5,"stream":true}`, 200, "text/event-stream"},
		{"llamacpp_stream_stop_word", "/completion", `{"prompt":"The quick brown fox","n_predict":40,"stream":true,"stop":["dog"," the"]}`, 200, "text/event-stream"},
		{"llamacpp_stream_eos", "/completion", `{"prompt":"The quick brown fox","n_predict":40,"stream":true,"seed":3}`, 200, "text/event-stream"},
		{"llamacpp_body", "/completion", `{"prompt":"The quick brown fox","n_predict":5,"seed":9}`, 200, "application/json; charset=utf-8"},
		{"llamacpp_context_full", "/completion", `{"prompt":"a b c d e f g h i j k l m n o p q r s t u v w x y z","n_predict":-1,"stream":true}`, 200, "text/event-stream"},
		{"llamacpp_context_exceeded", "/completion", `{"prompt":"` + strings.Repeat("w ", 40) + `"}`, 400, "application/json; charset=utf-8"},
		{"llamacpp_bad_request", "/completion", `{"n_predict":5}`, 400, "application/json; charset=utf-8"},
		{"openai_completion_stream_usage", "/v1/completions", `{"model":"tiny","prompt":"The quick brown fox","max_tokens":5,"stream":true,"stream_options":{"include_usage":true}}`, 200, "text/event-stream; charset=utf-8"},
		{"openai_completion_stream_stop", "/v1/completions", `{"prompt":"The quick brown fox","max_tokens":25,"stream":true,"stop":"dog"}`, 200, "text/event-stream; charset=utf-8"},
		{"openai_completion_stream_eos", "/v1/completions", `{"prompt":"The quick brown fox","max_tokens":25,"stream":true,"seed":3}`, 200, "text/event-stream; charset=utf-8"},
		{"openai_chat_stream_usage", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"Hi there"}],"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}`, 200, "text/event-stream; charset=utf-8"},
		{"openai_completion_body", "/v1/completions", `{"model":"tiny","prompt":"The quick brown fox","max_tokens":5}`, 200, "application/json"},
		{"openai_chat_body", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":[{"type":"text","text":"Hi there"}]}],"max_tokens":4}`, 200, "application/json"},
		{"openai_unknown_model", "/v1/completions", `{"model":"big","prompt":"x"}`, 404, "application/json"},
		{"openai_context_exceeded", "/v1/completions", `{"prompt":"x","max_tokens":64}`, 400, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			clock := newStepClock()
			_, ts := startServer(t, WithClock(clock.Now), WithCtx(32), WithEOSAfter(12), WithModels("tiny", "other"))
			status, h, body := fetch(t, ts, tc.path, tc.body)
			is.Equal(status, tc.status)                     // status
			is.Equal(h.Get("Content-Type"), tc.contentType) // content type
			golden(t, tc.name, body)
		})
	}
}

func TestGoldenInfoEndpoints(t *testing.T) {
	cases := []struct{ name, path string }{
		{"llamacpp_props", "/props"},
		{"llamacpp_slots", "/slots"},
		{"llamacpp_health", "/health"},
		{"openai_models", "/v1/models"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, ts := startServer(t, WithClock(newStepClock().Now), WithSlots(2), WithCtx(64))
			status, _, _ := fetch(t, ts, "/completion", `{"prompt":"warm up","n_predict":3}`)
			is.Equal(status, 200) // a generation ran, so /slots shows a task
			status, body := get(t, ts, tc.path)
			is.Equal(status, 200) // info endpoint answers
			golden(t, tc.name, body)
		})
	}
}

func TestLlamaCppFrameFields(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithEOSAfter(0))
	_, _, body := fetch(t, ts, "/completion", `{"prompt":"hello","n_predict":3,"stream":true}`)
	frames := sseData(body)
	is.Equal(len(frames), 4)                   // three partial frames and the final one
	is.True(strings.HasSuffix(body, "}\n\n"))  // every frame ends with a blank line
	is.True(!strings.Contains(body, "[DONE]")) // /completion sends no [DONE]
	partial := []string{"index", "content", "tokens", "stop", "id_slot", "tokens_predicted", "tokens_evaluated"}
	is.Equal(keys(t, frames[0]), partial)                     // partial frame fields in llama-server order
	is.Equal(field[bool](t, frames[2], "stop"), false)        // partial frames say stop:false
	is.Equal(field[int](t, frames[2], "tokens_predicted"), 3) // tokens counted so far
	final := []string{"index", "content", "tokens", "id_slot", "stop", "model", "tokens_predicted", "tokens_evaluated",
		"generation_settings", "prompt", "has_new_line", "truncated", "stop_type", "stopping_word", "tokens_cached", "timings"}
	is.Equal(keys(t, frames[3]), final)                         // final frame fields in llama-server order
	is.Equal(field[bool](t, frames[3], "stop"), true)           // the final frame says stop:true
	is.Equal(field[string](t, frames[3], "content"), "")        // stream mode: content already sent
	is.Equal(field[string](t, frames[3], "stop_type"), "limit") // n_predict reached
	timings := []string{"cache_n", "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second",
		"predicted_n", "predicted_ms", "predicted_per_token_ms", "predicted_per_second"}
	is.Equal(keys(t, field[rawJSON](t, frames[3], "timings").String()), timings) // timings fields in order
}

func TestOpenAIChunkFields(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t)
	_, _, body := fetch(t, ts, "/v1/completions", `{"prompt":"hello","max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}`)
	frames := sseData(body)
	is.Equal(len(frames), 4)                                                              // two token chunks, usage, [DONE]
	is.Equal(frames[3], "[DONE]")                                                         // the stream ends with [DONE]
	is.Equal(keys(t, frames[0]), []string{"id", "object", "created", "model", "choices"}) // chunk fields
	is.True(strings.HasPrefix(field[string](t, frames[0], "id"), "cmpl-"))                // completion id prefix
	is.Equal(field[string](t, frames[0], "object"), "text_completion")                    // object
	choice := field[[]rawJSON](t, frames[1], "choices")[0].String()
	is.Equal(keys(t, choice), []string{"index", "text", "logprobs", "finish_reason", "stop_reason"}) // choice fields
	is.Equal(field[string](t, choice, "finish_reason"), "length")                                    // max_tokens reached
	is.Equal(keys(t, frames[2]), []string{"id", "object", "created", "model", "choices", "usage"})   // usage chunk
	is.Equal(len(field[[]rawJSON](t, frames[2], "choices")), 0)                                      // usage chunk has no choices
	usage := field[rawJSON](t, frames[2], "usage").String()
	is.Equal(keys(t, usage), []string{"prompt_tokens", "total_tokens", "completion_tokens"}) // vLLM UsageInfo order
	is.Equal(field[int](t, usage, "completion_tokens"), 2)                                   // tokens generated

	_, _, body = fetch(t, ts, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}`)
	frames = sseData(body)
	is.Equal(len(frames), 4) // role chunk, two token chunks, [DONE]
	first := field[[]rawJSON](t, frames[0], "choices")[0].String()
	is.Equal(field[rawJSON](t, first, "delta").String(), `{"role":"assistant","content":""}`) // first delta is the role
	is.Equal(field[string](t, frames[0], "object"), "chat.completion.chunk")                  // chunk object
	mid := field[[]rawJSON](t, frames[1], "choices")[0].String()
	is.Equal(keys(t, mid), []string{"index", "delta", "logprobs", "finish_reason"}) // token chunk choice
	last := field[[]rawJSON](t, frames[2], "choices")[0].String()
	is.Equal(keys(t, last), []string{"index", "delta", "logprobs", "finish_reason", "stop_reason"}) // finishing chunk
	is.Equal(frames[3], "[DONE]")                                                                   // terminator
}

// rawJSON is a JSON value kept as text.
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }
func (r rawJSON) String() string                { return string(r) }
