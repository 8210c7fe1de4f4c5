package openaicompat

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// captured is one request the fake server saw.
type captured struct {
	path string
	auth string
	body []byte
}

// streamServer answers every request with stream and records it.
func streamServer(t *testing.T, stream []byte, seen *captured) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen.path, seen.auth = r.URL.Path, r.Header.Get("Authorization")
			seen.body, _ = io.ReadAll(r.Body)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(stream)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func fixture(t *testing.T, name string) []byte {
	is := is.New(t)
	data, err := os.ReadFile("testdata/" + name)
	is.NoErr(err) // fixture present
	return data
}

func client(t *testing.T, url, engineName string, opts ...Option) *Client {
	c := New(url, engineName, opts...)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func collect(chunks *[]string) func([]string) error {
	return func(batch []string) error {
		*chunks = append(*chunks, batch...)
		return nil
	}
}

// chat is the conversation the chat requests send.
func chat() []engine.Message {
	return []engine.Message{{Role: "system", Content: "Be kind."}, {Role: "user", Content: "Hi"}}
}

func TestGenerateFixtures(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name     string
		messages []engine.Message
		path     string
		chunks   []string
		result   engine.Result
	}{
		{
			name:   "vllm_completions.sse",
			path:   "/v1/completions",
			chunks: []string{" Paris", ".", " It", " is", " the", " “city”"},
			result: engine.Result{TokensOut: 6, PromptTokens: 7, FinishReason: engine.FinishLength},
		},
		{
			name:     "vllm_chat.sse",
			messages: chat(),
			path:     "/v1/chat/completions",
			chunks:   []string{"Hello", "!\n\n", "How can I help?"},
			result:   engine.Result{TokensOut: 9, PromptTokens: 20, FinishReason: engine.FinishStop},
		},
		{
			name:     "llamacpp_chat.sse",
			messages: chat(),
			path:     "/v1/chat/completions",
			chunks:   []string{"Bonjour", " à tous"},
			result:   engine.Result{TokensOut: 3, PromptTokens: 15, FinishReason: engine.FinishStop, EngineVersion: "b5123-9d4c6c1e"},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var seen captured
			srv := streamServer(t, fixture(t, tt.name), &seen)
			var chunks []string
			res, err := client(t, srv.URL, "vllm").Generate(t.Context(),
				engine.Request{Prompt: "p", Messages: tt.messages}, collect(&chunks))
			is.NoErr(err)                // the stream completes
			is.Equal(seen.path, tt.path) // chat goes to the chat endpoint
			is.Equal(chunks, tt.chunks)  // texts decoded, empty deltas skipped
			is.Equal(res, tt.result)     // usage, finish reason, fingerprint
		})
	}
}

func TestGenerateErrorFixtures(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name    string
		status  int
		message string
		chunks  []string
	}{
		{name: "tgi_error.sse", message: "Request failed during generation: Server error: CUDA out of memory", chunks: []string{"Once"}},
		{name: "vllm_error.sse", status: 400, message: "This model's maximum context length is 4096 tokens.", chunks: []string{"Hi"}},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := streamServer(t, fixture(t, tt.name), nil)
			var chunks []string
			_, err := client(t, srv.URL, "tgi").Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
			ee, ok := errors.AsType[*engine.Error](err)
			is.True(ok)                          // an *engine.Error
			is.Equal(ee.Kind, engine.KindEngine) // reported by the engine
			is.Equal(ee.Status, tt.status)       // the error's code, when numeric
			is.Equal(ee.Message, tt.message)     // and message
			is.Equal(ee.Engine, "tgi")           // named after the configured engine
			is.Equal(ee.Chunks, 1)               // after one chunk
			is.Equal(chunks, tt.chunks)          // which was emitted
		})
	}
}

func TestStreamEnd(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		stream string
		ok     bool
		finish string
		tokens int
	}{
		{name: "finish then end without [DONE]", stream: textChunk("a") + textChunk("b") +
			`data: {"choices":[{"index":0,"text":"","finish_reason":"length"}]}` + "\n\n", ok: true, finish: engine.FinishLength, tokens: 2},
		{name: "[DONE] without usage", stream: textChunk("a") + "data: [DONE]\n\n", ok: true, finish: engine.FinishStop, tokens: 1},
		{name: "tool_calls finish", stream: textChunk("a") +
			`data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]", ok: true, finish: engine.FinishStop, tokens: 1},
		{name: "end without finish", stream: textChunk("a") + textChunk("b"), ok: false},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := streamServer(t, []byte(tt.stream), nil)
			res, err := client(t, srv.URL, "").Generate(t.Context(), engine.Request{Prompt: "p"}, collect(new([]string)))
			is.Equal(err == nil, tt.ok)           // complete or truncated
			is.Equal(res.FinishReason, tt.finish) // finish reason mapped
			is.Equal(res.TokensOut, tt.tokens)    // chunks counted without usage
		})
	}
}

func TestRequestBody(t *testing.T) {
	is := is.New(t)
	seed, temp, topP := int64(7), 0.0, 1.0
	tests := []struct {
		name string
		base string
		req  engine.Request
		path string
		want map[string]any
	}{
		{
			name: "completion",
			req: engine.Request{Model: "meta-llama/Llama-3.1-8B-Instruct", Prompt: "a <tag> & b", MaxTokens: 32,
				Seed: &seed, Temperature: &temp, TopP: &topP, Stop: []string{"</s>"}},
			path: "/v1/completions",
			want: map[string]any{"model": "meta-llama/Llama-3.1-8B-Instruct", "prompt": "a <tag> & b", "max_tokens": 32.0,
				"stream": true, "stream_options": map[string]any{"include_usage": true}, "seed": 7.0,
				"temperature": 0.0, "top_p": 1.0, "stop": []any{"</s>"}},
		},
		{
			name: "chat on a /v1 base URL",
			base: "/v1/",
			req:  engine.Request{Model: "qwen", Prompt: "ignored", Messages: chat()},
			path: "/v1/chat/completions",
			want: map[string]any{"model": "qwen", "messages": []any{
				map[string]any{"role": "system", "content": "Be kind."}, map[string]any{"role": "user", "content": "Hi"}},
				"stream": true, "stream_options": map[string]any{"include_usage": true}},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var seen captured
			srv := streamServer(t, fixture(t, "vllm_completions.sse"), &seen)
			_, err := client(t, srv.URL+tt.base, "vllm", WithAPIKey("sk-test")).Generate(t.Context(), tt.req, collect(new([]string)))
			is.NoErr(err) // completes
			var got map[string]any
			is.NoErr(json.Unmarshal(seen.body, &got)) // the body is JSON
			is.Equal(seen.path, tt.path)              // endpoint
			is.Equal(got, tt.want)                    // exactly these fields
			is.Equal(seen.auth, "Bearer sk-test")     // the API key
		})
	}
}

func TestEngineName(t *testing.T) {
	is := is.New(t)
	is.Equal(New("http://x", "tgi").Engine(), "tgi") // the configured name
	is.Equal(New("http://x", "").Engine(), "openai") // the default
}
