package wire

import "strconv"

// ChatCompletionChunk is one SSE data payload of a streamed chat completion.
// The usage chunk (stream_options.include_usage) has no choices and a Usage;
// Choices always encodes as an array, never null.
type ChatCompletionChunk struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Created           int64             `json:"created"`
	Model             string            `json:"model"`
	SystemFingerprint string            `json:"system_fingerprint,omitempty"`
	Choices           []ChatChunkChoice `json:"choices"`
	Usage             *Usage            `json:"usage,omitempty"`
}

// ChatChunkChoice is one choice of a chat chunk; FinishReason is null until
// the last chunk of the choice.
type ChatChunkChoice struct {
	Index        int       `json:"index"`
	Delta        ChatDelta `json:"delta"`
	FinishReason *string   `json:"finish_reason"`
}

// ChatDelta is the increment of a streamed message.
type ChatDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// AppendJSON appends the chunk's JSON encoding to dst without reflection.
func (c *ChatCompletionChunk) AppendJSON(dst []byte) []byte {
	dst = appendChunkHead(dst, c.ID, c.Object, c.Created, c.Model, c.SystemFingerprint)
	for i := range c.Choices {
		ch := &c.Choices[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(ch.Index), 10)
		dst = append(dst, `,"delta":{`...)
		sep := false
		if ch.Delta.Role != "" {
			dst = append(dst, `"role":`...)
			dst = appendJSONString(dst, ch.Delta.Role)
			sep = true
		}
		if ch.Delta.Content != "" {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"content":`...)
			dst = appendJSONString(dst, ch.Delta.Content)
		}
		dst = append(dst, `},"finish_reason":`...)
		dst = appendNullableString(dst, ch.FinishReason)
		dst = append(dst, '}')
	}
	return appendChunkTail(dst, c.Usage)
}

// MarshalJSON encodes the chunk with AppendJSON.
func (c ChatCompletionChunk) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

// CompletionChunk is one SSE data payload of a streamed text completion
// (object "text_completion", as OpenAI sends it). Choices always encodes as an
// array, never null.
type CompletionChunk struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
}

// AppendJSON appends the chunk's JSON encoding to dst without reflection.
func (c *CompletionChunk) AppendJSON(dst []byte) []byte {
	dst = appendChunkHead(dst, c.ID, c.Object, c.Created, c.Model, c.SystemFingerprint)
	for i := range c.Choices {
		ch := &c.Choices[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"text":`...)
		dst = appendJSONString(dst, ch.Text)
		dst = append(dst, `,"index":`...)
		dst = strconv.AppendInt(dst, int64(ch.Index), 10)
		dst = append(dst, `,"finish_reason":`...)
		dst = appendNullableString(dst, ch.FinishReason)
		dst = append(dst, '}')
	}
	return appendChunkTail(dst, c.Usage)
}

// MarshalJSON encodes the chunk with AppendJSON.
func (c CompletionChunk) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil), nil }

// AppendJSON appends the usage's JSON encoding to dst without reflection.
func (u *Usage) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.TotalTokens), 10)
	return append(dst, '}')
}

func appendChunkHead(dst []byte, id, object string, created int64, model, fingerprint string) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, `,"object":`...)
	dst = appendJSONString(dst, object)
	dst = append(dst, `,"created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, model)
	if fingerprint != "" {
		dst = append(dst, `,"system_fingerprint":`...)
		dst = appendJSONString(dst, fingerprint)
	}
	return append(dst, `,"choices":[`...)
}

func appendChunkTail(dst []byte, u *Usage) []byte {
	dst = append(dst, ']')
	if u != nil {
		dst = append(dst, `,"usage":`...)
		dst = u.AppendJSON(dst)
	}
	return append(dst, '}')
}

func appendNullableString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, *s)
}
