package wire

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Object names of the OpenAI-compatible responses.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
	ObjectTextCompletion      = "text_completion"
	ObjectList                = "list"
	ObjectModel               = "model"
)

// Chat message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// StreamDone is the data of the last SSE event of an OpenAI stream.
const StreamDone = "[DONE]"

// ChatCompletionRequest is the body of POST /v1/chat/completions. Fields of
// the OpenAI API that orchestratord does not use are ignored on decode.
type ChatCompletionRequest struct {
	Model               string         `json:"model"`
	Messages            []ChatMessage  `json:"messages"`
	Stream              bool           `json:"stream,omitempty"`
	StreamOptions       *StreamOptions `json:"stream_options,omitempty"`
	MaxTokens           *int           `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int           `json:"max_completion_tokens,omitempty"`
	Temperature         *float64       `json:"temperature,omitempty"`
	TopP                *float64       `json:"top_p,omitempty"`
	Stop                StopSequences  `json:"stop,omitempty"`
	Seed                *int64         `json:"seed,omitempty"`
	User                string         `json:"user,omitempty"`
	N                   *int           `json:"n,omitempty"`
}

// TokenLimit returns max_completion_tokens, else max_tokens, else nil.
func (r *ChatCompletionRequest) TokenLimit() *int {
	if r.MaxCompletionTokens != nil {
		return r.MaxCompletionTokens
	}
	return r.MaxTokens
}

// IncludeUsage reports whether stream_options.include_usage is set.
func (r *ChatCompletionRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// StreamOptions are the options of a streamed OpenAI request.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ChatMessage is one message of a chat. On the wire content may be a string,
// null, or an array of content parts; text parts are flattened into Content
// (joined by "\n"), any other part is refused with a *FieldError.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	Name    string `json:"name,omitempty"`
}

// UnmarshalJSON decodes a message whose content is a string, null or an
// array of text parts.
func (m *ChatMessage) UnmarshalJSON(data []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
		Name    string          `json:"name"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	content, err := flattenContent(raw.Content)
	if err != nil {
		return err
	}
	*m = ChatMessage{Role: raw.Role, Content: content, Name: raw.Name}
	return nil
}

// ContentPart is one element of an array-valued message content.
type ContentPart struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
}

// Content part types orchestratord accepts.
const (
	ContentPartText      = "text"
	ContentPartInputText = "input_text"
)

func flattenContent(data json.RawMessage) (string, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] == 'n' {
		return "", nil
	}
	switch data[0] {
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", &FieldError{Field: "messages.content", Reason: "must be a string or an array of text parts"}
		}
		return s, nil
	case '[':
		var parts []ContentPart
		if err := json.Unmarshal(data, &parts); err != nil {
			return "", &FieldError{Field: "messages.content", Reason: "must be a string or an array of text parts"}
		}
		var b []byte
		for i, p := range parts {
			if p.Type != ContentPartText && p.Type != ContentPartInputText {
				return "", &FieldError{Field: "messages.content", Reason: "content part type " + strconv.Quote(p.Type) + " is not supported"}
			}
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(b, p.Text...)
		}
		return string(b), nil
	}
	return "", &FieldError{Field: "messages.content", Reason: "must be a string or an array of text parts"}
}

// ChatCompletion is the body of a non-streamed chat completion.
type ChatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []ChatChoice `json:"choices"`
	Usage             *Usage       `json:"usage,omitempty"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
}

// ChatChoice is one choice of a chat completion.
type ChatChoice struct {
	Index        int         `json:"index"`
	Message      ChatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// CompletionRequest is the body of POST /v1/completions.
type CompletionRequest struct {
	Model         string         `json:"model"`
	Prompt        PromptList     `json:"prompt"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	MaxTokens     *int           `json:"max_tokens,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	Stop          StopSequences  `json:"stop,omitempty"`
	Seed          *int64         `json:"seed,omitempty"`
	User          string         `json:"user,omitempty"`
	N             *int           `json:"n,omitempty"`
}

// IncludeUsage reports whether stream_options.include_usage is set.
func (r *CompletionRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// Completion is the body of a non-streamed text completion.
type Completion struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
}

// CompletionChoice is one choice of a text completion or completion chunk;
// FinishReason is null until the choice ends.
type CompletionChoice struct {
	Text         string  `json:"text"`
	Index        int     `json:"index"`
	FinishReason *string `json:"finish_reason"`
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ModelList is the body of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}

// MarshalJSON encodes the list with data as an array even when it is empty.
func (l ModelList) MarshalJSON() ([]byte, error) {
	type plain ModelList
	if l.Data == nil {
		l.Data = []Model{}
	}
	return json.Marshal(plain(l))
}

// Model is an item of GET /v1/models.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// OpenAIError is the error body of the /v1 routes.
type OpenAIError struct {
	Error OpenAIErrorBody `json:"error"`
}

// OpenAIErrorBody is the inner error object. Code holds an ErrorCode of this
// contract when orchestratord sends it; decoding also accepts the numeric or
// null code and null param some OpenAI-compatible servers send.
type OpenAIErrorBody struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Param   string `json:"param,omitempty"`
}

// UnmarshalJSON accepts a code that is a string, a number or null, and a
// param that is a string or null.
func (b *OpenAIErrorBody) UnmarshalJSON(data []byte) error {
	var raw struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Param   json.RawMessage `json:"param"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*b = OpenAIErrorBody{Message: raw.Message, Type: raw.Type, Code: scalarText(raw.Code), Param: scalarText(raw.Param)}
	return nil
}

// scalarText returns a JSON string's value, a number's text, or "" for null,
// absent or any other value.
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw)
	}
	return ""
}

// OpenAI error types sent by orchestratord.
const (
	OpenAIInvalidRequest = "invalid_request_error"
	OpenAIAuthentication = "authentication_error"
	OpenAIPermission     = "permission_error"
	OpenAINotFound       = "not_found_error"
	OpenAIRateLimit      = "rate_limit_error"
	OpenAIServer         = "server_error"
)

// NewOpenAIError returns the OpenAI error object for an error of this
// contract; send it with code.HTTPStatus().
func NewOpenAIError(code ErrorCode, message string) OpenAIError {
	return OpenAIError{Error: OpenAIErrorBody{Message: message, Type: OpenAIErrorType(code), Code: string(code)}}
}

// OpenAIErrorType returns the OpenAI error type that matches code's status.
func OpenAIErrorType(code ErrorCode) string {
	switch code.HTTPStatus() {
	case http.StatusUnauthorized:
		return OpenAIAuthentication
	case http.StatusForbidden:
		return OpenAIPermission
	case http.StatusNotFound:
		return OpenAINotFound
	case http.StatusTooManyRequests:
		return OpenAIRateLimit
	case http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge:
		return OpenAIInvalidRequest
	}
	return OpenAIServer
}
