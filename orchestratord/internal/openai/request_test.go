package openai

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

func decodeChat(t *testing.T, body string) wire.ChatCompletionRequest {
	t.Helper()
	var req wire.ChatCompletionRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return req
}

func TestChatRequestMapsOntoASpec(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft, WithTokenLimit(1000))
	req := decodeChat(t, `{"model":"org/llama-3","messages":[{"role":"system","content":"be brief"},
		{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"there"}],"name":"ann"}],
		"max_tokens":7,"max_completion_tokens":9,"temperature":0.5,"top_p":0.9,"stop":"END","seed":42,"user":"sess-1","n":1}`)
	reply, err := s.ChatCompletions(context.Background(), withStream(req), "")
	is.NoErr(err)                // admitted
	is.True(reply.Stream != nil) // a stream
	specs := ft.Specs()
	is.Equal(len(specs), 1) // one submission
	sp := specs[0]
	is.Equal(sp.Model, "org/llama-3")                                                                                    // model
	is.Equal(sp.Messages, []engine.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi\nthere"}}) // messages, text parts joined
	is.Equal(sp.Prompt, "")                                                                                              // a chat has no prompt
	is.Equal(sp.MaxTokens, 9)                                                                                            // max_completion_tokens wins
	is.Equal(*sp.Temperature, 0.5)                                                                                       // temperature
	is.Equal(*sp.TopP, 0.9)                                                                                              // top_p
	is.Equal(sp.Stop, []string{"END"})                                                                                   // stop
	is.Equal(*sp.Seed, int64(42))                                                                                        // seed
	is.Equal(sp.SessionID, "sess-1")                                                                                     // user names the session
	is.Equal(sp.Priority, admission.Interactive)                                                                         // always interactive
	is.True(sp.Placement.AllowFallback)                                                                                  // placement defaults of /v2
	is.Equal(sp.ID, "")                                                                                                  // the service makes the id
	is.Equal(reply.Stream.ID(), "chatcmpl-task-a")                                                                       // completion id carries the task id
	cancelStream(t, ft, reply.Stream)
}

// withStream turns on streaming so a test does not wait for the task.
func withStream(req wire.ChatCompletionRequest) wire.ChatCompletionRequest {
	req.Stream = true
	return req
}

// cancelStream ends an unserved stream's task.
func cancelStream(t *testing.T, ft *fakeTasks, st *Stream) {
	t.Helper()
	_ = ft.Cancel(context.Background(), st.taskID)
}

func TestSessionAndTokenDefaults(t *testing.T) {
	tests := []struct {
		name, body, header string
		session            string
		maxTokens          int
	}{
		{"header names the session", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "hdr-1", "hdr-1", 256},
		{"user wins over the header", `{"model":"m","user":"u@example.com","messages":[{"role":"user","content":"x"}]}`, "hdr-1", "u@example.com", 256},
		{"no session", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":12}`, "", "", 12},
		{"default bounded by the limit", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "", "", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			ft := newFakeTasks()
			s := newService(t, ft, WithTokenLimit(max(tt.maxTokens, 100)))
			reply, err := s.ChatCompletions(context.Background(), withStream(decodeChat(t, tt.body)), tt.header)
			is.NoErr(err)                                   // admitted
			is.Equal(ft.Specs()[0].SessionID, tt.session)   // session
			is.Equal(ft.Specs()[0].MaxTokens, tt.maxTokens) // token limit
			cancelStream(t, ft, reply.Stream)
		})
	}
}

func TestCompletionRequestMapsOntoASpec(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	var req wire.CompletionRequest
	is.NoErr(json.Unmarshal([]byte(`{"model":"tiny","prompt":["one","two"],"max_tokens":5,"stop":["a","b"],"stream":true}`), &req))
	reply, err := s.Completions(context.Background(), req, "sess-2")
	is.NoErr(err) // admitted
	sp := ft.Specs()[0]
	is.Equal(sp.Prompt, "one\n\ntwo")          // prompts joined by a blank line
	is.Equal(len(sp.Messages), 0)              // not a chat
	is.Equal(sp.MaxTokens, 5)                  // max_tokens
	is.Equal(sp.Stop, []string{"a", "b"})      // stop list
	is.Equal(sp.SessionID, "sess-2")           // session from the header
	is.Equal(reply.Stream.ID(), "cmpl-task-a") // completion id
	cancelStream(t, ft, reply.Stream)
}

func TestInvalidRequestsNameTheField(t *testing.T) {
	msgs := `"messages":[{"role":"user","content":"x"}]`
	tests := []struct {
		name, body, header, field string
	}{
		{"no model", `{` + msgs + `}`, "", "model"},
		{"blank model", `{"model":"  ",` + msgs + `}`, "", "model"},
		{"model with a space", `{"model":"a b",` + msgs + `}`, "", "model"},
		{"no messages", `{"model":"m"}`, "", "messages"},
		{"empty messages", `{"model":"m","messages":[]}`, "", "messages"},
		{"unknown role", `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"y"}]}`, "", "messages[1].role"},
		{"missing role", `{"model":"m","messages":[{"content":"y"}]}`, "", "messages[0].role"},
		{"max_tokens zero", `{"model":"m",` + msgs + `,"max_tokens":0}`, "", "max_tokens"},
		{"max_tokens over the limit", `{"model":"m",` + msgs + `,"max_tokens":100001}`, "", "max_tokens"},
		{"max_completion_tokens negative", `{"model":"m",` + msgs + `,"max_completion_tokens":-1}`, "", "max_completion_tokens"},
		{"temperature too high", `{"model":"m",` + msgs + `,"temperature":2.5}`, "", "temperature"},
		{"temperature negative", `{"model":"m",` + msgs + `,"temperature":-0.1}`, "", "temperature"},
		{"top_p zero", `{"model":"m",` + msgs + `,"top_p":0}`, "", "top_p"},
		{"top_p above 1", `{"model":"m",` + msgs + `,"top_p":1.5}`, "", "top_p"},
		{"too many stops", `{"model":"m",` + msgs + `,"stop":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]}`, "", "stop"},
		{"n above 1", `{"model":"m",` + msgs + `,"n":2}`, "", "n"},
		{"bad user", `{"model":"m",` + msgs + `,"user":"has space"}`, "", "user"},
		{"bad session header", `{"model":"m",` + msgs + `}`, "bad/header", "X-Session-Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			ft := newFakeTasks()
			reg := metrics.NewRegistry()
			m, err := metrics.New(reg)
			is.NoErr(err) // metrics
			s := newService(t, ft, WithMetrics(m))
			_, err = s.ChatCompletions(context.Background(), decodeChat(t, tt.body), tt.header)
			p, ok := problem.As(err)
			is.True(ok)                                       // a problem error
			is.Equal(p.Code, wire.CodeInvalidParams)          // 400 INVALID_PARAMS
			is.Equal(p.Field, tt.field)                       // names the field
			is.Equal(len(ft.Specs()), 0)                      // nothing submitted
			is.Equal(rejected(t, reg, "invalid_params"), 1.0) // counted like /v2
		})
	}
}

func TestInvalidCompletionPrompt(t *testing.T) {
	tests := []struct{ name, body string }{
		{"no prompt", `{"model":"m"}`},
		{"empty prompt", `{"model":"m","prompt":""}`},
		{"empty list", `{"model":"m","prompt":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newService(t, newFakeTasks())
			var req wire.CompletionRequest
			is.NoErr(json.Unmarshal([]byte(tt.body), &req))
			_, err := s.Completions(context.Background(), req, "")
			p, ok := problem.As(err)
			is.True(ok)                 // a problem error
			is.Equal(p.Field, "prompt") // names the prompt
		})
	}
}

func TestAdmissionErrorsPassThrough(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	ft.submit = problem.Rejected(wire.CodeAdmissionReject, wire.PolicyReject, 0, "queue full")
	s := newService(t, ft)
	_, err := s.ChatCompletions(context.Background(), decodeChat(t, `{"model":"m","messages":[{"role":"user","content":"x"}]}`), "")
	p, ok := problem.As(err)
	is.True(ok)                                // the service's own error
	is.Equal(p.Code, wire.CodeAdmissionReject) // kept for the error handler (429, Retry-After)
}

// rejected reads orchd_tasks_rejected_total{reason} from reg.
func rejected(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "orchd_tasks_rejected_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
