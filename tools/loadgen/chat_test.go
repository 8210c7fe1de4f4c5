package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
)

// fakeChat is a minimal /v1/chat/completions server: a role chunk, one
// chunk per token (max_tokens of them), a content-less finish chunk, then
// the ending ("done" for data: [DONE], "error" for an error object, "" for
// none).
type fakeChat struct {
	ending string
	auth   atomic.Value
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	f.auth.Store(r.Header.Get("Authorization"))
	var body struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		MaxTokens int  `json:"max_tokens"`
		Stream    bool `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Model == "" || !body.Stream ||
		len(body.Messages) != 1 || body.Messages[0].Role != "user" || body.Messages[0].Content == "" {
		http.Error(w, `{"error":{"message":"bad body","type":"invalid_request_error","code":"INVALID_PARAMS"}}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	const head = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[`
	fmt.Fprint(w, "data: "+head+`{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
	fmt.Fprint(w, ": keep-alive\n\n")
	for range body.MaxTokens {
		fmt.Fprint(w, "data: "+head+`{"index":0,"delta":{"content":" w"},"finish_reason":null}]}`+"\n\n")
	}
	fmt.Fprint(w, "data: "+head+`{"index":0,"delta":{},"finish_reason":"length"}]}`+"\n\n")
	switch f.ending {
	case "done":
		fmt.Fprint(w, "data: [DONE]\n\n")
	case "error":
		fmt.Fprint(w, `data: {"error":{"message":"engine vanished","type":"server_error","code":"WORKER_RESET"}}`+"\n\n")
	}
}

func TestOpenAITarget(t *testing.T) {
	cases := []struct {
		ending                       string
		requests, errors, incomplete int64
		sample                       string
	}{
		{"done", 10, 0, 0, ""},
		{"error", 0, 10, 0, "WORKER_RESET"},
		{"", 0, 10, 10, ErrIncomplete.Error()},
	}
	for _, tc := range cases {
		t.Run("ending="+tc.ending, func(t *testing.T) {
			is := is.New(t)
			fake := &fakeChat{ending: tc.ending}
			ts := httptest.NewServer(fake)
			defer ts.Close()
			rep, err := Run(context.Background(), Config{Target: TargetOpenAI, URL: ts.URL, Concurrency: 3, Requests: 10, MaxTokens: 9, Token: "secret"})
			is.NoErr(err)                                                             // the run went through
			is.Equal(rep.Requests, tc.requests)                                       // completed streams
			is.Equal(rep.Errors, tc.errors)                                           // failed streams
			is.Equal(rep.Incomplete, tc.incomplete)                                   // streams without data: [DONE]
			is.Equal(rep.Tokens, int64(10*9))                                         // content chunks only: not the role or finish chunk
			is.Equal(fake.auth.Load(), "Bearer secret")                               // the token is sent
			is.True(strings.Contains(strings.Join(rep.ErrorSamples, ";"), tc.sample)) // the error is reported
		})
	}
}

func TestOpenAITargetTimesFirstContent(t *testing.T) {
	is := is.New(t)
	ts := httptest.NewServer(&fakeChat{ending: "done"})
	defer ts.Close()
	rep, err := Run(context.Background(), Config{Target: TargetOpenAI, URL: ts.URL, Concurrency: 1, Requests: 3, MaxTokens: 2})
	is.NoErr(err)                    // the run went through
	is.Equal(rep.Requests, int64(3)) // every stream completed
	is.True(rep.TTFTP50Ms > 0)       // the first content chunk was timed
	is.True(rep.LatencyP50Ms > 0)    // and the whole stream
	is.Equal(rep.Tokens, int64(3*2)) // two tokens a stream
}

func TestOpenAITargetStatus(t *testing.T) {
	is := is.New(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"queue full","type":"server_error","code":"ADMISSION_REJECT"}}`, http.StatusTooManyRequests)
	}))
	defer ts.Close()
	rep, err := Run(context.Background(), Config{Target: TargetOpenAI, URL: ts.URL, Concurrency: 2, Requests: 4})
	is.NoErr(err)                                              // the run went through
	is.Equal(rep.Errors, int64(4))                             // every request refused
	is.Equal(rep.Incomplete, int64(0))                         // before any stream
	is.True(strings.Contains(rep.ErrorSamples[0], "HTTP 429")) // the status is reported
}

func TestHasContent(t *testing.T) {
	cases := []struct {
		chunk string
		want  bool
	}{
		{`{"choices":[{"index":0,"delta":{"content":" w"},"finish_reason":null}]}`, true},
		{`{"choices":[{"index":0,"delta": {"content": "x"}}]}`, true},
		{`{"choices":[{"index":0,"delta":{"content":"\n"}}]}`, true},
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`, false},
		{`{"choices":[{"index":0,"delta":{"content":null}}]}`, false},
		{`{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`, false},
		{`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":9}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.chunk, func(t *testing.T) {
			is := is.New(t)
			is.Equal(hasContent([]byte(tc.chunk)), tc.want) // a token when the delta has text
		})
	}
}
