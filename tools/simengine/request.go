package simengine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 8 << 20

// RequestError is a request the simulated engine refuses (400); its message
// is the one the real server would send.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

func badRequestf(format string, args ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, args...)}
}

// decodeBody reads the whole body (so that the server notices a client that
// goes away while the handler writes) and decodes it into v.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return badRequestf("reading body: %v", err)
	}
	if len(body) > maxBodyBytes {
		return badRequestf("body over %d bytes", maxBodyBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequestf("%v", err)
	}
	return nil
}

// parsePrompt accepts a string or an array holding one string.
func parsePrompt(raw json.RawMessage, field string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", badRequestf("%q must be provided", field)
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequestf("%q: %v", field, err)
		}
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 1 {
		return "", badRequestf("%q must be a string or an array of one string", field)
	}
	return list[0], nil
}

// parseStop accepts an array of strings, and a single string when
// allowString (OpenAI); empty strings are dropped as both servers do.
func parseStop(raw json.RawMessage, allowString bool) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var list []string
	if raw[0] == '"' && allowString {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequestf("stop: %v", err)
		}
		list = []string{s}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequestf("stop must be an array of strings")
	}
	out := list[:0]
	for _, w := range list {
		if w != "" {
			out = append(out, w)
		}
	}
	return out, nil
}

// chatMessage is one OpenAI chat message; content is a string or an array of
// {"type":"text","text":...} parts.
type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// chatPrompt flattens messages into the prompt text and its token count:
// each message costs its words plus four template tokens, plus BOS.
func chatPrompt(msgs []chatMessage) (string, int, error) {
	if len(msgs) == 0 {
		return "", 0, badRequestf("messages must be a non-empty array")
	}
	var sb strings.Builder
	tokens := 1
	for i, m := range msgs {
		text, err := messageText(m.Content)
		if err != nil {
			return "", 0, badRequestf("messages[%d].content: %v", i, err)
		}
		sb.WriteString(m.Role)
		sb.WriteString(": ")
		sb.WriteString(text)
		sb.WriteByte('\n')
		tokens += countPromptTokens(text) - 1 + 4
	}
	return sb.String(), tokens, nil
}

func messageText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequestf("must be a string or an array of parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	return sb.String(), nil
}

// requestSeed maps an optional request seed to the generator seed.
func (s *Server) requestSeed(seed *int64) uint64 {
	if seed == nil || *seed < 0 {
		return s.cfg.seed
	}
	return uint64(*seed)
}
