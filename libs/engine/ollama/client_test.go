package ollama

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

// fixtureServer serves the named testdata stream on path and records the
// request body.
func fixtureServer(t *testing.T, path, name string, body *[]byte) *httptest.Server {
	is := is.New(t)
	stream, err := os.ReadFile("testdata/" + name)
	is.NoErr(err) // fixture present
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("404 page not found"))
			return
		}
		if body != nil {
			*body, _ = io.ReadAll(r.Body)
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
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
		path   string
		req    engine.Request
		chunks []string
		result engine.Result
	}{
		{
			name: "generate.ndjson", path: "/api/generate", req: engine.Request{Prompt: "p"},
			chunks: []string{"Paris", " <b>is</b>", " Café \"crème\"\n", " 😀"},
			result: engine.Result{TokensOut: 5, PromptTokens: 7, FinishReason: engine.FinishLength},
		},
		{
			name: "chat.ndjson", path: "/api/chat", req: engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}},
			chunks: []string{"Hel", "lo\t& bye"},
			result: engine.Result{TokensOut: 2, PromptTokens: 12, FinishReason: engine.FinishStop},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := fixtureServer(t, tt.path, tt.name, nil)
			var chunks []string
			res, err := client(t, srv.URL).Generate(t.Context(), tt.req, collect(&chunks))
			is.NoErr(err)               // the stream completes
			is.Equal(chunks, tt.chunks) // texts decoded (\u003c too), empty ones skipped
			is.Equal(res, tt.result)    // eval counts and done_reason from the final line
		})
	}
}

func TestGenerateErrorFixture(t *testing.T) {
	is := is.New(t)
	srv := fixtureServer(t, "/api/generate", "error.ndjson", nil)
	var chunks []string
	_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                          // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine) // reported by the engine
	is.Equal(ee.Message, "an error was encountered while running the model: llama runner process has terminated: signal: killed")
	is.Equal(ee.Engine, EngineName)     // named
	is.Equal(ee.Chunks, 1)              // after one chunk
	is.Equal(chunks, []string{"Hello"}) // which was emitted
}

func TestDoneReasons(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		reason string
		finish string
	}{
		{reason: "stop", finish: engine.FinishStop},
		{reason: "length", finish: engine.FinishLength},
		{reason: "", finish: engine.FinishStop},
		{reason: "load", finish: engine.FinishStop},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			is := is.New(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tokenLine("a") + finalLine(1, tt.reason)))
			}))
			t.Cleanup(srv.Close)
			res, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(new([]string)))
			is.NoErr(err)                         // completes
			is.Equal(res.FinishReason, tt.finish) // mapped from done_reason
		})
	}
}

func TestMalformedLine(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		line string
	}{
		{name: "trailing comma", line: "{\"response\":\"b\",}\n"},
		{name: "SSE framing", line: "data: {\"response\":\"b\"}\n"},
		{name: "not an object", line: "[1,2]\n"},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tokenLine("a") + "\n" + tt.line))
			}))
			t.Cleanup(srv.Close)
			var chunks []string
			_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Prompt: "p"}, collect(&chunks))
			ee, ok := errors.AsType[*engine.Error](err)
			is.True(ok)                                  // an *engine.Error
			is.Equal(ee.Kind, engine.KindEngine)         // a malformed stream is the engine's fault
			is.True(errors.Is(err, engine.ErrMalformed)) // the cause
			is.Equal(chunks, []string{"a"})              // the good line before it was emitted; the blank one skipped
		})
	}
}

func TestRequestBody(t *testing.T) {
	is := is.New(t)
	seed, temp, topP := int64(42), 0.2, 0.9
	tests := []struct {
		name    string
		fixture string
		path    string
		req     engine.Request
		want    map[string]any
	}{
		{
			name: "generate", fixture: "generate.ndjson", path: "/api/generate",
			req: engine.Request{Model: "tiny", Prompt: "Hi <b>", MaxTokens: 16, Seed: &seed,
				Temperature: &temp, TopP: &topP, Stop: []string{"\n\n"}},
			want: map[string]any{"model": "tiny", "prompt": "Hi <b>", "stream": true, "options": map[string]any{
				"num_predict": 16.0, "seed": 42.0, "temperature": 0.2, "top_p": 0.9, "stop": []any{"\n\n"}}},
		},
		{
			name: "defaults left to the engine", fixture: "generate.ndjson", path: "/api/generate",
			req:  engine.Request{Model: "tiny", Prompt: "Hi"},
			want: map[string]any{"model": "tiny", "prompt": "Hi", "stream": true},
		},
		{
			name: "chat", fixture: "chat.ndjson", path: "/api/chat",
			req: engine.Request{Model: "tiny", Prompt: "ignored", MaxTokens: 8, Messages: []engine.Message{
				{Role: "system", Content: "Be brief."}, {Content: "Capital of France?"}}},
			want: map[string]any{"model": "tiny", "stream": true, "options": map[string]any{"num_predict": 8.0},
				"messages": []any{map[string]any{"role": "system", "content": "Be brief."},
					map[string]any{"role": "user", "content": "Capital of France?"}}},
		},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var body []byte
			srv := fixtureServer(t, tt.path, tt.fixture, &body)
			_, err := client(t, srv.URL).Generate(t.Context(), tt.req, collect(new([]string)))
			is.NoErr(err) // completes on the expected endpoint
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

func TestModelNotFound(t *testing.T) {
	is := is.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"model 'nope' not found"}`))
	}))
	t.Cleanup(srv.Close)
	_, err := client(t, srv.URL).Generate(t.Context(), engine.Request{Model: "nope", Prompt: "p"}, collect(new([]string)))
	ee, ok := errors.AsType[*engine.Error](err)
	is.True(ok)                                    // an *engine.Error
	is.Equal(ee.Kind, engine.KindEngine)           // the engine refused: no retry elsewhere
	is.Equal(ee.Status, http.StatusNotFound)       // its status
	is.Equal(ee.Message, "model 'nope' not found") // its message
}

func TestBaseURL(t *testing.T) {
	is := is.New(t)
	srv := fixtureServer(t, "/api/generate", "generate.ndjson", nil)
	c := New(srv.URL + "/api/")
	t.Cleanup(c.CloseIdleConnections)
	_, err := c.Generate(t.Context(), engine.Request{Prompt: "p"}, collect(new([]string)))
	is.NoErr(err)                  // a trailing /api is dropped
	is.Equal(c.Engine(), "ollama") // the engine kind
}
