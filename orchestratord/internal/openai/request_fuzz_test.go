package openai

import (
	"encoding/json"
	"testing"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// FuzzChatRequest checks that any decodable chat request either maps onto
// a spec within the limits or is refused with INVALID_PARAMS naming a field.
func FuzzChatRequest(f *testing.F) {
	f.Add(`{"model":"m","messages":[{"role":"user","content":"x"}]}`, "")
	f.Add(`{"model":"m","messages":[{"role":"tool","content":null}],"max_completion_tokens":3,"stop":["a"],"user":"u"}`, "h")
	f.Add(`{"model":"","messages":[],"n":2,"temperature":3}`, "bad header")
	s, err := New(newFakeTasks(), func() []string { return nil }, WithTokenLimit(64))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, header string) {
		var req wire.ChatCompletionRequest
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		spec, err := s.chatSpec(&req, header)
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Code != wire.CodeInvalidParams || p.Field == "" {
				t.Fatalf("refusal %v is not INVALID_PARAMS naming a field", err)
			}
			return
		}
		if spec.Model == "" || len(spec.Messages) == 0 || spec.MaxTokens < 1 || spec.MaxTokens > 64 {
			t.Fatalf("accepted an invalid spec: %+v", spec)
		}
		if spec.SessionID != "" && !wire.ValidID(spec.SessionID) {
			t.Fatalf("accepted session %q", spec.SessionID)
		}
	})
}

// FuzzCollect checks that reading any bytes as a log's SSE encoding never
// panics, and that a readable one has exactly one terminal frame.
func FuzzCollect(f *testing.F) {
	f.Add("id: 1\nevent: token\ndata: {\"t\":\"a\",\"i\":0}\n\nid: 2\nevent: end\ndata: {\"tokens_out\":1,\"decode_ms\":0,\"canceled\":false}\n\n")
	f.Add("id: 1\nevent: error\ndata: {\"code\":\"INTERNAL\",\"message\":\"x\"}\n\n")
	f.Add("id: 1\nevent: token\ndata: {\"t\":\"\\u00e9\\\"\",\"i\":0}\n\n")
	f.Fuzz(func(t *testing.T, sse string) {
		res, err := collect([]byte(sse))
		if err == nil && (res.end == nil) == (res.failed == nil) {
			t.Fatalf("read %q without exactly one terminal frame", sse)
		}
	})
}
