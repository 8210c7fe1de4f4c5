package llamacpp

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

// fixtureServer serves the named testdata stream on /completion and records
// the request body.
func fixtureServer(t *testing.T, name string, body *[]byte) *httptest.Server {
	is := is.New(t)
	stream, err := os.ReadFile("testdata/" + name)
	is.NoErr(err) // fixture present
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body != nil {
			*body, _ = io.ReadAll(r.Body)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Server", "llama.cpp")
		_, _ = w.Write(stream)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T, url string) *Client {
	c := New(url + "/")
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func collect(chunks *[]string) func([]string) error {
	return func(batch []string) error {
		*chunks = append(*chunks, batch...)
		return nil
	}
}

func TestGenerateFixtures(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		chunks []string
		result engine.Result
	}{
		{
			name:   "completion.sse",
			chunks: []string{" Paris", ".", " Café", " \"crème\"\n", " 😀"},
			result: engine.Result{TokensOut: 6, PromptTokens: 7, FinishReason: engine.FinishLength, EngineVersion: "llama.cpp"},
		},
		{
			name:   "escapes.sse",
			chunks: []string{"café 😀", "tab\there\r\n"},
			result: engine.Result{TokensOut: 2, PromptTokens: 3, FinishReason: engine.FinishStop, EngineVersion: "llama.cpp"},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := fixtureServer(t, tt.name, nil)
			var chunks []string
			res, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
			is.NoErr(err)               // the stream completes
			is.Equal(chunks, tt.chunks) // texts decoded, empty ones skipped
			is.Equal(res, tt.result)    // counts and finish reason from the final frame
		})
	}
}

func TestGenerateErrorFixture(t *testing.T) {
	is := is.New(t)
	srv := fixtureServer(t, "error.sse", nil)
	var chunks []string
	_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                                                 // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine)                                        // reported by the engine
	is.Equal(ee.Status, 500)                                                    // the error object's code
	is.Equal(ee.Message, "Failed to decode the batch, n_batch = 512, ret = -3") // and message
	is.Equal(ee.Engine, EngineName)                                             // named
	is.Equal(ee.Chunks, 1)                                                      // after one chunk
	is.Equal(chunks, []string{"Hello"})                                         // which was emitted
}

func TestStopTypes(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		stopType string
		finish   string
	}{
		{stopType: "eos", finish: engine.FinishStop},
		{stopType: "word", finish: engine.FinishStop},
		{stopType: "limit", finish: engine.FinishLength},
		{stopType: "none", finish: engine.FinishStop},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.stopType, func(t *testing.T) {
			is := is.New(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tokenFrame("a") + finalFrame(1, tt.stopType)))
			}))
			t.Cleanup(srv.Close)
			res, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(new([]string)))
			is.NoErr(err)                         // completes
			is.Equal(res.FinishReason, tt.finish) // mapped from stop_type
		})
	}
}

func TestLegacyErrorEvent(t *testing.T) {
	is := is.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(tokenFrame("a") + "error: {\"code\":400,\"message\":\"the request exceeds the available context size\",\"type\":\"exceed_context_size_error\"}\n\n"))
	}))
	t.Cleanup(srv.Close)
	_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(new([]string)))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                                            // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine)                                   // reported by the engine
	is.Equal(ee.Message, "the request exceeds the available context size") // from the "error:" line
}

func TestMalformedFrame(t *testing.T) {
	is := is.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(tokenFrame("a") + "data: {\"content\":\"b\",}\n\n"))
	}))
	t.Cleanup(srv.Close)
	var chunks []string
	_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                  // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine)         // a malformed stream is the engine's fault
	is.True(errors.Is(err, engine.ErrMalformed)) // the cause
	is.Equal(chunks, []string{"a"})              // the good chunk before it was emitted
}

func TestRequestBody(t *testing.T) {
	is := is.New(t)
	seed, temp, topP := int64(42), 0.2, 0.9
	tests := []struct {
		name string
		req  engine.Request
		want map[string]any
	}{
		{
			name: "completion",
			req: engine.Request{Model: "llama-3", Prompt: "Hi <b>", MaxTokens: 16, Seed: &seed,
				Temperature: &temp, TopP: &topP, Stop: []string{"\n\n"}},
			want: map[string]any{"model": "llama-3", "prompt": "Hi <b>", "n_predict": 16.0, "stream": true,
				"cache_prompt": true, "seed": 42.0, "temperature": 0.2, "top_p": 0.9, "stop": []any{"\n\n"}},
		},
		{
			name: "defaults left to the engine",
			req:  engine.Request{Prompt: "Hi"},
			want: map[string]any{"prompt": "Hi", "stream": true, "cache_prompt": true},
		},
		{
			name: "chat rendered into the prompt",
			req: engine.Request{Prompt: "ignored", Stop: []string{"###"}, Messages: []engine.Message{
				{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Capital of France?"},
				{Role: "assistant", Content: "Paris."}, {Role: "tool", Content: "{}"}, {Content: "Why?"}}},
			want: map[string]any{"prompt": "System: Be brief.\nUser: Capital of France?\nAssistant: Paris.\nTool: {}\nUser: Why?\nAssistant:",
				"stream": true, "cache_prompt": true, "stop": []any{"###", "\nUser:"}},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var body []byte
			srv := fixtureServer(t, "escapes.sse", &body)
			_, err := client(t, srv.URL).Generate(t.Context(), tt.req, collect(new([]string)))
			is.NoErr(err) // completes
			var got map[string]any
			is.NoErr(json.Unmarshal(body, &got)) // the body is JSON
			is.Equal(got, tt.want)               // with exactly these fields
		})
	}
}

func TestInvalidRequest(t *testing.T) {
	is := is.New(t)
	nan := func() *float64 { v := 0.0; v /= v; return &v }()
	_, err := New("http://127.0.0.1:1").Generate(t.Context(), engine.Request{Prompt: "p", Temperature: nan}, collect(new([]string)))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                       // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine)              // not worth retrying elsewhere
	is.True(errors.Is(err, engine.ErrInvalidRequest)) // the cause
}
