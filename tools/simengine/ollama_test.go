package simengine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// The mirror types below are Ollama's api.GenerateResponse, api.ChatResponse,
// api.ListResponse and api.ProcessResponse (v0.17.4) with the fields the
// simulator writes, in struct order with their tags: re-marshalling what
// the simulator wrote with encoding/json must give the same bytes.

type ollamaMetrics struct {
	TotalDuration      time.Duration `json:"total_duration,omitempty"`
	LoadDuration       time.Duration `json:"load_duration,omitempty"`
	PromptEvalCount    int           `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration time.Duration `json:"prompt_eval_duration,omitempty"`
	EvalCount          int           `json:"eval_count,omitempty"`
	EvalDuration       time.Duration `json:"eval_duration,omitempty"`
}

type ollamaGenerateResponse struct {
	Model      string    `json:"model"`
	CreatedAt  time.Time `json:"created_at"`
	Response   string    `json:"response"`
	Done       bool      `json:"done"`
	DoneReason string    `json:"done_reason,omitempty"`
	Context    []int     `json:"context,omitempty"`
	ollamaMetrics
}

type ollamaMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type ollamaChatResponse struct {
	Model      string        `json:"model"`
	CreatedAt  time.Time     `json:"created_at"`
	Message    ollamaMessage `json:"message"`
	Done       bool          `json:"done"`
	DoneReason string        `json:"done_reason,omitempty"`
	ollamaMetrics
}

type ollamaDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

type ollamaListModel struct {
	Name       string        `json:"name"`
	Model      string        `json:"model"`
	ModifiedAt time.Time     `json:"modified_at"`
	Size       int64         `json:"size"`
	Digest     string        `json:"digest"`
	Details    ollamaDetails `json:"details,omitempty"`
}

type ollamaProcessModel struct {
	Name          string        `json:"name"`
	Model         string        `json:"model"`
	Size          int64         `json:"size"`
	Digest        string        `json:"digest"`
	Details       ollamaDetails `json:"details,omitempty"`
	ExpiresAt     time.Time     `json:"expires_at"`
	SizeVRAM      int64         `json:"size_vram"`
	ContextLength int           `json:"context_length"`
}

// remarshal decodes raw into a T and encodes it again as Ollama does.
func remarshal[T any](t *testing.T, raw []byte) []byte {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ndjsonLines splits a stream into its lines, checking each ends in "\n".
func ndjsonLines(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\n") {
		t.Fatalf("stream does not end with a newline: %q", body)
	}
	return strings.Split(strings.TrimSuffix(body, "\n"), "\n")
}

func TestOllamaStreamsMatchGoJSON(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name, path, body string
		chat             bool
	}{
		{name: "generate", path: "/api/generate", body: `{"model":"tiny","prompt":"The quick <b>brown</b> fox","options":{"num_predict":40,"seed":5}}`},
		{name: "generate tagged name", path: "/api/generate", body: `{"model":"tiny:latest","prompt":"x","stream":true,"options":{"num_predict":3}}`},
		{name: "generate stop", path: "/api/generate", body: `{"model":"tiny","prompt":"The quick brown fox","options":{"num_predict":40,"stop":["dog"," the"]}}`},
		{name: "chat", path: "/api/chat", body: `{"model":"tiny","messages":[{"role":"user","content":"Hi & bye"}],"options":{"num_predict":6}}`, chat: true},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, ts := startServer(t, WithModels("tiny"), WithCtx(256))
			status, h, body := fetch(t, ts, tt.path, tt.body)
			is.Equal(status, 200)                                   // streamed
			is.Equal(h.Get("Content-Type"), "application/x-ndjson") // NDJSON
			lines := ndjsonLines(t, body)
			is.True(len(lines) >= 2) // tokens, then the done object
			for i, line := range lines {
				var again []byte
				if tt.chat {
					again = remarshal[ollamaChatResponse](t, []byte(line))
				} else {
					again = remarshal[ollamaGenerateResponse](t, []byte(line))
				}
				is.Equal(string(again), line)                                      // byte for byte what json.Marshal writes
				is.Equal(strings.Contains(line, `"done":true`), i == len(lines)-1) // only the last line is done
			}
			last := lines[len(lines)-1]
			is.True(strings.Contains(last, `"done_reason":"`))          // says why it stopped
			is.True(strings.Contains(last, `"eval_count":`))            // with the token count
			is.True(strings.Contains(last, `"response":""`) || tt.chat) // the done object carries no text
		})
	}
}

func TestOllamaGenerateCounts(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithCtx(256))
	_, _, body := fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"a b c","options":{"num_predict":7,"seed":3}}`)
	lines := ndjsonLines(t, body)
	var text strings.Builder
	var last ollamaGenerateResponse
	for _, line := range lines {
		var r ollamaGenerateResponse
		is.NoErr(json.Unmarshal([]byte(line), &r)) // each line is JSON
		text.WriteString(r.Response)
		last = r
	}
	is.Equal(len(lines), 8)             // one line per token and the done object
	is.Equal(last.EvalCount, 7)         // eval_count is the number of tokens
	is.Equal(last.DoneReason, "length") // num_predict reached
	is.Equal(last.PromptEvalCount, 4)   // BOS and three words
	is.Equal(len(last.Context), 4+7)    // prompt and response token ids
	is.True(last.EvalDuration > 0)      // measured
	_, h, one := fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"a b c","stream":false,"options":{"num_predict":7,"seed":3}}`)
	is.Equal(h.Get("Content-Type"), "application/json; charset=utf-8") // one JSON body
	var r ollamaGenerateResponse
	is.NoErr(json.Unmarshal([]byte(one), &r))                                // decodes
	is.Equal(string(remarshal[ollamaGenerateResponse](t, []byte(one))), one) // as json.Marshal writes it
	is.Equal(r.Response, text.String())                                      // the same text as the stream for the same seed
	is.Equal(r.EvalCount, 7)                                                 // and the same count
}

func TestOllamaLoadAndErrors(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name, path, body string
		status           int
		want             string // the body without created_at
	}{
		{name: "load", path: "/api/generate", body: `{"model":"tiny","prompt":"","stream":false,"keep_alive":-1}`, status: 200,
			want: `{"model":"tiny",,"response":"","done":true,"done_reason":"load"}`},
		{name: "unload", path: "/api/generate", body: `{"model":"tiny","keep_alive":0}`, status: 200,
			want: `{"model":"tiny",,"response":"","done":true,"done_reason":"unload"}` + "\n"},
		{name: "chat load", path: "/api/chat", body: `{"model":"tiny","messages":[],"stream":false}`, status: 200,
			want: `{"model":"tiny",,"message":{"role":"assistant","content":""},"done":true,"done_reason":"load"}`},
		{name: "unknown model", path: "/api/generate", body: `{"model":"big","prompt":"x"}`, status: 404, want: `{"error":"model 'big' not found"}`},
		{name: "no model", path: "/api/chat", body: `{"messages":[{"role":"user","content":"x"}]}`, status: 400, want: `{"error":"model is required"}`},
		{name: "bad json", path: "/api/generate", body: `{"model":`, status: 400, want: `{"error":"unexpected end of JSON input"}`},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, ts := startServer(t)
			status, _, body := fetch(t, ts, tt.path, tt.body)
			is.Equal(status, tt.status) // status
			if i := strings.Index(body, `"created_at":"`); i >= 0 {
				j := strings.Index(body[i+14:], `"`)
				body = body[:i] + body[i+14+j+1:]
			}
			is.Equal(body, tt.want) // Ollama's body
		})
	}
}

func TestOllamaInfoEndpoints(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithModels("tiny", "org/big:q4"), WithCtx(256))
	status, body := get(t, ts, "/api/version")
	is.Equal(status, 200)                             // served
	is.Equal(body, `{"version":"`+OllamaVersion+`"}`) // the version
	status, body = get(t, ts, "/api/tags")
	is.Equal(status, 200) // served
	var tags struct {
		Models []ollamaListModel `json:"models"`
	}
	is.NoErr(json.Unmarshal([]byte(body), &tags))                                                       // api.ListResponse
	is.Equal(string(mustMarshal(t, tags)), body)                                                        // as json.Marshal writes it
	is.Equal([]string{tags.Models[0].Name, tags.Models[1].Name}, []string{"tiny:latest", "org/big:q4"}) // tagged names
	status, body = get(t, ts, "/api/ps")
	is.Equal(status, 200) // served
	var ps struct {
		Models []ollamaProcessModel `json:"models"`
	}
	is.NoErr(json.Unmarshal([]byte(body), &ps)) // api.ProcessResponse
	is.Equal(string(mustMarshal(t, ps)), body)  // as json.Marshal writes it
	is.Equal(ps.Models[0].ContextLength, 256)   // the context per slot
	is.Equal(len(ps.Models), 2)                 // every model loaded
}

func TestOllamaWhileLoading(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithFaults(Faults{Loading: true, DropAfter: -1, HangAfter: -1}))
	status, body := get(t, ts, "/api/ps")
	is.Equal(status, 200)           // always answered
	is.Equal(body, `{"models":[]}`) // nothing loaded yet
	status, _ = get(t, ts, "/api/tags")
	is.Equal(status, 200) // the local models are listed all the same
	status, _, _ = fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"x"}`)
	is.Equal(status, 503) // generation refused
}

func TestOllamaDropMidStream(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithFaults(Faults{DropAfter: 3, DropCount: 1, HangAfter: -1}))
	resp := post(t, t.Context(), ts, "/api/generate", `{"model":"tiny","prompt":"x","options":{"num_predict":20}}`)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	lines := 0
	for sc.Scan() {
		lines++
	}
	is.Equal(lines, 3) // three tokens, then the connection was cut
	_, err := io.ReadAll(resp.Body)
	is.True(err == nil || errors.Is(err, io.ErrUnexpectedEOF)) // the body ended without a done object
}

func TestGoJSONString(t *testing.T) {
	is := is.New(t)
	tests := []string{
		"plain", `quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\r\b\f\x01\x1f\x7f",
		"naïve café 😀", "line\u2028para\u2029", "bad \xff utf8 \xe2\x82", "",
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(s)
			is.NoErr(err)                                              // encoding/json can encode it
			is.Equal(string(appendGoJSONString(nil, s)), string(want)) // the same bytes
		})
	}
}

func FuzzGoJSONString(f *testing.F) {
	for _, s := range []string{"<>&", "\u2028\xff\x00", "naïve \"q\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendGoJSONString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("appendGoJSONString(%q) = %s, json.Marshal = %s", s, got, want)
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ollamaNames decodes the names of a /api/tags or /api/ps answer.
func ollamaNames(t *testing.T, body string) []string {
	t.Helper()
	var out struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	is.New(t).NoErr(json.Unmarshal([]byte(body), &out)) // a model list
	names := []string{}
	for _, m := range out.Models {
		names = append(names, m.Name)
	}
	return names
}

func TestOllamaModelSwitch(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t, WithModels("tiny", "big"), WithSwitchTime(30*time.Millisecond))

	_, body := get(t, ts, "/api/tags")
	is.Equal(ollamaNames(t, body), []string{"tiny:latest", "big:latest"}) // every served model
	_, body = get(t, ts, "/api/ps")
	is.Equal(ollamaNames(t, body), []string{"tiny:latest", "big:latest"}) // every model is loaded at start

	status, _, _ := fetch(t, ts, "/api/generate", `{"model":"big","prompt":"","stream":false,"keep_alive":0}`)
	is.Equal(status, http.StatusOK) // unloaded
	_, body = get(t, ts, "/api/ps")
	is.Equal(ollamaNames(t, body), []string{"tiny:latest"}) // big left memory
	start := time.Now()
	status, _, body = fetch(t, ts, "/api/generate", `{"model":"big","prompt":"","stream":false,"keep_alive":-1}`)
	is.Equal(status, http.StatusOK)                         // loaded
	is.Equal(field[string](t, body, "done_reason"), "load") // as Ollama answers a load
	is.True(time.Since(start) >= 30*time.Millisecond)       // after the switch time
	status, _, _ = fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"","stream":false,"keep_alive":0}`)
	is.Equal(status, http.StatusOK) // unloaded
	_, body = get(t, ts, "/api/ps")
	is.Equal(ollamaNames(t, body), []string{"big:latest"}) // switched

	status, _, body = fetch(t, ts, "/api/generate", `{"model":"huge","prompt":""}`)
	is.Equal(status, http.StatusNotFound)                               // not a local model
	is.Equal(field[string](t, body, "error"), "model 'huge' not found") // Ollama's message
	_, body = get(t, ts, "/api/ps")
	is.Equal(ollamaNames(t, body), []string{"big:latest"}) // a failure changed nothing
	status, _, _ = fetch(t, ts, "/api/generate", `{"model":"tiny","prompt":"hi","stream":false,"options":{"num_predict":2}}`)
	is.Equal(status, http.StatusOK) // generating with an unloaded model loads it
	_, body = get(t, ts, "/api/ps")
	is.Equal(ollamaNames(t, body), []string{"tiny:latest", "big:latest"}) // as Ollama does
}
