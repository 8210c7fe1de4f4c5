package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §9: the OpenAI-compatible surface, through the same admission,
// placement, metrics and transcripts as /v2.

// v1Stream is an open stream:true response.
type v1Stream struct {
	resp *http.Response
	br   *bufio.Reader
}

// openV1Stream posts a streamed /v1 request; the status and headers are
// checked against the OpenAPI.
func openV1Stream(t *testing.T, ctx context.Context, url, body string, headers ...string) *v1Stream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream %s: %d %s", url, resp.StatusCode, raw)
	}
	checkContract(t, req, resp, nil)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream %s: Content-Type %q", url, ct)
	}
	return &v1Stream{resp: resp, br: bufio.NewReader(resp.Body)}
}

// next returns the next data payload; comments are skipped.
func (s *v1Stream) next() (string, error) {
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: "); ok {
			return data, nil
		}
	}
}

// all reads the payloads up to the end of the body.
func (s *v1Stream) all(t *testing.T) []string {
	t.Helper()
	var out []string
	for {
		d, err := s.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		out = append(out, d)
	}
}

// transcriptText waits for the task's transcript, checks it is stored and
// returns the concatenated tokens of the task's /v2 stream.
func transcriptText(t *testing.T, o *proc, taskID string, headers ...string) (string, wire.TaskStatus) {
	t.Helper()
	var st wire.TaskStatus
	waitFor(t, 5*time.Second, "transcript", func() bool {
		resp, raw := call(t, "GET", o.URL+"/v2/tasks/"+taskID, nil, headers...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %s: %d %s", taskID, resp.StatusCode, raw)
		}
		st = decode[wire.TaskStatus](t, raw)
		return st.TranscriptArtifactID != ""
	})
	resp, raw := call(t, "GET", o.URL+"/v2/artifacts/"+st.TranscriptArtifactID, nil, headers...)
	if resp.StatusCode != http.StatusOK || decode[wire.Artifact](t, raw).Kind != wire.ArtifactTrace {
		t.Fatalf("transcript of %s: %d %s", taskID, resp.StatusCode, raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames, err := sse(ctx, o.URL+"/v2/tasks/"+taskID+"/events", headers...)
	if err != nil {
		t.Fatalf("events of %s: %v", taskID, err)
	}
	text, _ := tokensOf(frames)
	return text, st
}

// metricSum adds up every series of a metric family on GET /metrics.
func metricSum(t *testing.T, o *proc, name string) float64 {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	sum := 0.0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

func TestOpenAIChatAndCompletions(t *testing.T) {
	_, o := cluster(t, "shutdown: {grace_ms: 200}\n", 2, "--token-delay", "1ms")
	waitPoolsReady(t, o, "sim-0")
	enqueued := metricSum(t, o, "orchd_tasks_enqueued_total")

	t.Run("models", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "GET", o.URL+"/v1/models", nil)
		is.Equal(resp.StatusCode, 200) // listed
		list := decode[wire.ModelList](t, raw)
		is.Equal(list.Object, wire.ObjectList) // a list
		is.Equal(len(list.Data), 1)            // the ready pool's model
		is.Equal(list.Data[0], wire.Model{ID: "tiny", Object: wire.ObjectModel, Created: list.Data[0].Created, OwnedBy: "orchestratord"})
	})

	t.Run("chat", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v1/chat/completions",
			`{"model":"tiny","messages":[{"role":"system","content":"brief"},{"role":"user","content":"hi"}],"max_tokens":8,"user":"sess-chat"}`)
		is.Equal(resp.StatusCode, 200) // answered
		c := decode[wire.ChatCompletion](t, raw)
		taskID, ok := strings.CutPrefix(c.ID, "chatcmpl-")
		is.True(ok)                                             // chatcmpl-<task id>
		is.Equal(c.Object, wire.ObjectChatCompletion)           // object
		is.Equal(c.Model, "tiny")                               // the requested model
		is.True(c.Created > 0)                                  // admission time
		is.Equal(c.Choices[0].Message.Role, wire.RoleAssistant) // assistant
		is.Equal(c.Choices[0].FinishReason, "length")           // max_tokens reached
		is.Equal(c.Usage.CompletionTokens, 8)                   // usage: the generated tokens
		is.True(c.Usage.PromptTokens > 0)                       // the engine's prompt count
		is.Equal(c.Usage.TotalTokens, c.Usage.PromptTokens+8)   // both
		text, st := transcriptText(t, o, taskID)
		is.Equal(c.Choices[0].Message.Content, text) // the task's tokens
		is.Equal(st.SessionID, "sess-chat")          // user names the session
		is.Equal(st.State, wire.TaskCompleted)       // completed
	})

	t.Run("chat stream", func(t *testing.T) {
		is := is.New(t)
		s := openV1Stream(t, context.Background(), o.URL+"/v1/chat/completions",
			`{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":6,"stream":true,"stream_options":{"include_usage":true}}`,
			"X-Session-Id", "sess-hdr")
		data := s.all(t)
		is.True(len(data) >= 4)                      // role, tokens, final, usage, [DONE]
		is.Equal(data[len(data)-1], wire.StreamDone) // ends with [DONE]
		var chunks []wire.ChatCompletionChunk
		for _, d := range data[:len(data)-1] {
			chunks = append(chunks, decode[wire.ChatCompletionChunk](t, []byte(d)))
		}
		first, final, usage := chunks[0], chunks[len(chunks)-2], chunks[len(chunks)-1]
		is.Equal(first.Choices[0].Delta.Role, wire.RoleAssistant) // first delta names the role
		var b strings.Builder
		for _, c := range chunks[1 : len(chunks)-2] {
			is.Equal(c.Object, wire.ObjectChatCompletionChunk) // chunk object
			is.Equal(c.ID, first.ID)                           // one id
			b.WriteString(c.Choices[0].Delta.Content)
		}
		is.Equal(*final.Choices[0].FinishReason, "length")            // finish reason
		is.Equal(len(usage.Choices), 0)                               // usage chunk
		is.Equal(usage.Usage.CompletionTokens, 6)                     // usage
		is.True(usage.Usage.PromptTokens > 0)                         // the engine's prompt count
		is.Equal(usage.Usage.TotalTokens, usage.Usage.PromptTokens+6) // both
		text, st := transcriptText(t, o, strings.TrimPrefix(first.ID, "chatcmpl-"))
		is.Equal(b.String(), text)         // one chunk per token of the task
		is.Equal(st.SessionID, "sess-hdr") // X-Session-Id names the session
	})

	t.Run("completion", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v1/completions", `{"model":"tiny","prompt":["Once","upon"],"max_tokens":5}`)
		is.Equal(resp.StatusCode, 200) // answered
		c := decode[wire.Completion](t, raw)
		is.Equal(c.Object, wire.ObjectTextCompletion)  // object
		is.Equal(*c.Choices[0].FinishReason, "length") // finish reason
		is.Equal(c.Usage.CompletionTokens, 5)          // usage
		text, _ := transcriptText(t, o, strings.TrimPrefix(c.ID, "cmpl-"))
		is.Equal(c.Choices[0].Text, text) // the task's tokens
	})

	t.Run("completion stream", func(t *testing.T) {
		is := is.New(t)
		s := openV1Stream(t, context.Background(), o.URL+"/v1/completions", `{"model":"tiny","prompt":"Once","max_tokens":5,"stream":true}`)
		data := s.all(t)
		is.Equal(data[len(data)-1], wire.StreamDone) // ends with [DONE]
		var b strings.Builder
		var id string
		for _, d := range data[:len(data)-2] {
			c := decode[wire.CompletionChunk](t, []byte(d))
			id = c.ID
			b.WriteString(c.Choices[0].Text)
		}
		final := decode[wire.CompletionChunk](t, []byte(data[len(data)-2]))
		is.Equal(*final.Choices[0].FinishReason, "length") // finish reason, no usage chunk unasked
		text, _ := transcriptText(t, o, strings.TrimPrefix(id, "cmpl-"))
		is.Equal(b.String(), text) // the task's tokens
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, path, body string
			status           int
			typ, code, param string
		}{
			{"unknown model", "/v1/chat/completions", `{"model":"nobody-has-it","messages":[{"role":"user","content":"x"}]}`, 503, wire.OpenAIServer, "POOL_UNAVAILABLE", ""},
			{"max_tokens", "/v1/completions", `{"model":"tiny","prompt":"x","max_tokens":0}`, 400, wire.OpenAIInvalidRequest, "INVALID_PARAMS", "max_tokens"},
			{"role", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"robot","content":"x"}]}`, 400, wire.OpenAIInvalidRequest, "INVALID_PARAMS", "messages[0].role"},
			{"content part", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, wire.OpenAIInvalidRequest, "INVALID_PARAMS", "messages.content"},
			{"malformed", "/v1/completions", `{"model":`, 400, wire.OpenAIInvalidRequest, "INVALID_PARAMS", "body"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				is := is.New(t)
				resp, raw := call(t, "POST", o.URL+tt.path, tt.body)
				is.Equal(resp.StatusCode, tt.status) // status
				e := decode[wire.OpenAIError](t, raw)
				is.Equal(e.Error.Type, tt.typ)    // OpenAI error type
				is.Equal(e.Error.Code, tt.code)   // the contract's code
				is.Equal(e.Error.Param, tt.param) // the field
				is.True(e.Error.Message != "")    // a message
			})
		}
	})

	is := is.New(t)
	is.Equal(metricSum(t, o, "orchd_tasks_enqueued_total")-enqueued, 4.0) // each /v1 task counted like a /v2 task
}

func TestOpenAIBackpressureAbortAndAuth(t *testing.T) {
	sim := startSim(t, "--slots", "1", "--token-delay", "20ms")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\nqueue: {capacity: 1}\nshutdown: {grace_ms: 200}\n",
		[]poolCfg{{ID: "sim-0", Engine: "llamacpp", URL: sim.URL, Models: []string{"tiny"}, Slots: 1, CtxMax: 4096}},
		"ORCHD_API_TOKEN=e2e-secret")
	auth := []string{"Authorization", "Bearer e2e-secret"}
	waitPoolsReady(t, o, "sim-0")
	long := `{"model":"tiny","messages":[{"role":"user","content":"go on"}],"max_tokens":5000`

	t.Run("auth", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "GET", o.URL+"/v1/models", nil)
		is.Equal(resp.StatusCode, 401) // no token
		is.Equal(decode[wire.OpenAIError](t, raw).Error.Type, wire.OpenAIAuthentication)
		resp, raw = call(t, "POST", o.URL+"/v1/chat/completions", long+`}`, "Authorization", "Bearer wrong")
		is.Equal(resp.StatusCode, 403) // wrong token
		is.Equal(decode[wire.OpenAIError](t, raw).Error.Type, wire.OpenAIPermission)
	})

	is := is.New(t)
	ctx, abort := context.WithCancel(context.Background())
	defer abort()
	running := openV1Stream(t, ctx, o.URL+"/v1/chat/completions", long+`,"stream":true}`, auth...)
	role, err := running.next()
	is.NoErr(err) // admitted
	runningID := strings.TrimPrefix(decode[wire.ChatCompletionChunk](t, []byte(role)).ID, "chatcmpl-")
	_, err = running.next()
	is.NoErr(err) // a token: running on the engine
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(``), auth...)
	is.Equal(resp.StatusCode, 202) // a /v2 task waits in the queue
	queued := decode[wire.AdmissionResponse](t, raw)

	resp, raw = call(t, "POST", o.URL+"/v1/chat/completions", long+`}`, auth...)
	is.Equal(resp.StatusCode, 429) // the queue is full
	e := decode[wire.OpenAIError](t, raw)
	is.Equal(e.Error.Type, wire.OpenAIRateLimit)             // OpenAI type
	is.Equal(e.Error.Code, string(wire.CodeAdmissionReject)) // the contract's code
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	is.NoErr(err)                                  // Retry-After kept
	is.True(ra >= 1)                               // in whole seconds
	is.True(resp.Header.Get("X-Backoff-Ms") != "") // and the backoff

	// A streamed client that goes away: the engine sees its request closed.
	closed := simStats(t, sim).ClientClosed
	abort()
	start := time.Now()
	waitFor(t, 5*time.Second, "engine request closed", func() bool { return simStats(t, sim).ClientClosed > closed })
	lag := time.Since(start)
	t.Logf("streamed: the engine saw its request closed %v after the client left", lag)
	is.True(lag < 200*time.Millisecond) // at once
	resp, raw = call(t, "GET", o.URL+"/v2/tasks/"+runningID, nil, auth...)
	is.Equal(resp.StatusCode, 200)                                     // known
	is.Equal(decode[wire.TaskStatus](t, raw).State, wire.TaskCanceled) // canceled

	// A non-streamed client that goes away, while its task runs.
	resp, _ = call(t, "POST", o.URL+"/v2/tasks/"+queued.TaskID+"/cancel", nil, auth...)
	is.Equal(resp.StatusCode, 204) // the /v2 task frees the slot
	waitFor(t, 5*time.Second, "engine idle", func() bool { return simStats(t, sim).Active == 0 })
	started := simStats(t, sim).Started
	ctx2, abort2 := context.WithCancel(context.Background())
	defer abort2()
	answered := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx2, http.MethodPost, o.URL+"/v1/chat/completions", strings.NewReader(long+`}`))
		req.Header.Set(auth[0], auth[1])
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	waitFor(t, 5*time.Second, "running on the engine", func() bool {
		st := simStats(t, sim)
		return st.Started > started && st.Active == 1
	})
	closed = simStats(t, sim).ClientClosed
	abort2()
	start = time.Now()
	waitFor(t, 5*time.Second, "engine request closed", func() bool { return simStats(t, sim).ClientClosed > closed })
	lag = time.Since(start)
	t.Logf("not streamed: the engine saw its request closed %v after the client left", lag)
	is.True(lag < 200*time.Millisecond) // at once
	is.True(<-answered != nil)          // the client saw no answer
}
