package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Shadow types without MarshalJSON: encoding/json's output for them is the
// reference AppendJSON must reproduce.
type (
	refChatChunk struct {
		ID                string                 `json:"id"`
		Object            string                 `json:"object"`
		Created           int64                  `json:"created"`
		Model             string                 `json:"model"`
		SystemFingerprint string                 `json:"system_fingerprint,omitempty"`
		Choices           []wire.ChatChunkChoice `json:"choices"`
		Usage             *wire.Usage            `json:"usage,omitempty"`
	}
	refCompletionChunk struct {
		ID                string                  `json:"id"`
		Object            string                  `json:"object"`
		Created           int64                   `json:"created"`
		Model             string                  `json:"model"`
		SystemFingerprint string                  `json:"system_fingerprint,omitempty"`
		Choices           []wire.CompletionChoice `json:"choices"`
		Usage             *wire.Usage             `json:"usage,omitempty"`
	}
)

func TestChatChunkAppendJSON(t *testing.T) {
	stop := "stop"
	usage := &wire.Usage{PromptTokens: 3, CompletionTokens: 64, TotalTokens: 67}
	tests := []struct {
		name  string
		chunk wire.ChatCompletionChunk
	}{
		{"role", wire.ChatCompletionChunk{ID: "chatcmpl-01J", Object: wire.ObjectChatCompletionChunk, Created: 1700000000, Model: "org/m",
			Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Role: wire.RoleAssistant}}}}},
		{"token", wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Created: 1, Model: "m",
			Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Content: "<b>\"q\"</b>\n"}}}}},
		{"role and token", wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m", SystemFingerprint: "fp",
			Choices: []wire.ChatChunkChoice{{Index: 1, Delta: wire.ChatDelta{Role: wire.RoleAssistant, Content: "é"}}}}},
		{"finish", wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m",
			Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{}, FinishReason: &stop}}}},
		{"two choices", wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m",
			Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Content: "a"}}, {Index: 1, Delta: wire.ChatDelta{Content: "b"}}}}},
		{"usage", wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m",
			Choices: []wire.ChatChunkChoice{}, Usage: usage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(refChatChunk(tt.chunk))
			is.NoErr(err)                                            // reference encodes
			is.Equal(string(tt.chunk.AppendJSON(nil)), string(want)) // same bytes as encoding/json
			viaMarshal, err := json.Marshal(tt.chunk)
			is.NoErr(err)                              // MarshalJSON output is valid JSON
			is.Equal(string(viaMarshal), string(want)) // json.Marshal uses AppendJSON
		})
	}
}

func TestChunkNilChoicesIsArray(t *testing.T) {
	is := is.New(t)
	usage := &wire.Usage{TotalTokens: 1}
	chat, err := json.Marshal(wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Usage: usage})
	is.NoErr(err)                                                   // encodes
	is.Equal(generic(t, chat).(map[string]any)["choices"], []any{}) // usage chunk has choices: []
	text, err := json.Marshal(wire.CompletionChunk{ID: "c", Object: wire.ObjectTextCompletion, Usage: usage})
	is.NoErr(err)                                                   // encodes
	is.Equal(generic(t, text).(map[string]any)["choices"], []any{}) // usage chunk has choices: []
}

func TestCompletionChunkAppendJSON(t *testing.T) {
	length := "length"
	tests := []struct {
		name  string
		chunk wire.CompletionChunk
	}{
		{"token", wire.CompletionChunk{ID: "cmpl-1", Object: wire.ObjectTextCompletion, Created: 5, Model: "m",
			Choices: []wire.CompletionChoice{{Text: " time\t"}}}},
		{"finish", wire.CompletionChunk{ID: "cmpl-1", Object: wire.ObjectTextCompletion, Created: 5, Model: "m", SystemFingerprint: "fp",
			Choices: []wire.CompletionChoice{{Text: "", Index: 2, FinishReason: &length}}}},
		{"usage", wire.CompletionChunk{ID: "cmpl-1", Object: wire.ObjectTextCompletion, Model: "m",
			Choices: []wire.CompletionChoice{}, Usage: &wire.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want, err := json.Marshal(refCompletionChunk(tt.chunk))
			is.NoErr(err)                                            // reference encodes
			is.Equal(string(tt.chunk.AppendJSON(nil)), string(want)) // same bytes as encoding/json
		})
	}
}

func BenchmarkChatChunkAppendJSON(b *testing.B) {
	c := wire.ChatCompletionChunk{ID: "chatcmpl-01JD0000000000000000000000", Object: wire.ObjectChatCompletionChunk,
		Created: 1700000000, Model: "llama-3-8b", Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Content: " world"}}}}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.AppendJSON(buf[:0])
	}
}
