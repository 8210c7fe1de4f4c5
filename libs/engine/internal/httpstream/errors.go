package httpstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonscan"
)

// maxMessage bounds an engine error message kept in an *engine.Error.
const maxMessage = 512

// ErrorMessage extracts the human message of an engine's error body:
// {"error":{"message":...}} (OpenAI, llama.cpp, vLLM, Ollama),
// {"error":"..."} (TGI), {"object":"error","message":...} (older vLLM),
// {"detail":...} (FastAPI validation), else the first line of the text.
func ErrorMessage(body []byte) string {
	var doc struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &doc) == nil {
		if msg := errorValueMessage(doc.Error); msg != "" {
			return clip(msg)
		}
		if doc.Message != "" {
			return clip(doc.Message)
		}
		if msg := errorValueMessage(doc.Detail); msg != "" {
			return clip(msg)
		}
		if len(doc.Detail) > 0 {
			return clip(string(doc.Detail))
		}
	}
	line, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte{'\n'})
	return clip(string(bytes.TrimSpace(line)))
}

// errorValueMessage reads an error value that is a string or an object with
// a message (or at least a type).
func errorValueMessage(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		if obj.Message != "" {
			return obj.Message
		}
		return obj.Type
	}
	return ""
}

// clip cuts a message to maxMessage bytes on a rune boundary and makes it valid UTF-8.
func clip(s string) string {
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ReadErrorValue reads the value of an in-stream "error" member at the
// cursor, a string or an object {"code", "message", "type"}, into a
// KindEngine *engine.Error (the Engine and Chunks fields are filled by Post).
func ReadErrorValue(c *jsonscan.Cursor) *engine.Error {
	e := &engine.Error{Kind: engine.KindEngine, Err: engine.ErrEngineReported}
	var msg, typ []byte
	switch c.Peek() {
	case '"':
		msg, _ = c.AppendString(nil)
	case '{':
		m := c.Object()
		for key, ok := m.Next(); ok; key, ok = m.Next() {
			switch string(key) {
			case "message":
				msg = readStringOrSkip(c, msg)
			case "type":
				typ = readStringOrSkip(c, typ)
			case "code":
				e.Status = ReadCode(c)
			default:
				c.Skip()
			}
		}
	default:
		c.Skip()
	}
	if len(msg) == 0 {
		msg = typ
	}
	e.Message = clip(string(msg))
	return e
}

// MalformedError is the failure for a line that is not the engine's format.
func MalformedError(detail string) *engine.Error {
	return &engine.Error{Kind: engine.KindEngine, Err: fmt.Errorf("%w: %s", engine.ErrMalformed, detail)}
}

// AppendTextOrSkip appends a string value to dst, or skips any other value
// and appends nothing.
func AppendTextOrSkip(c *jsonscan.Cursor, dst []byte) []byte {
	if c.Peek() != '"' {
		c.Skip()
		return dst
	}
	dst, _ = c.AppendText(dst)
	return dst
}

// TextOrSkip reads a string value, or skips any other value and returns "".
func TextOrSkip(c *jsonscan.Cursor) string {
	if c.Peek() != '"' {
		c.Skip()
		return ""
	}
	s, _ := c.Text()
	return s
}

func readStringOrSkip(c *jsonscan.Cursor, dst []byte) []byte {
	if c.Peek() != '"' {
		c.Skip()
		return dst
	}
	out, _ := c.AppendString(dst[:0])
	return out
}

// ReadCode reads an error code given as a number or a numeric string; any
// other value is skipped and reads as 0.
func ReadCode(c *jsonscan.Cursor) int {
	switch c.Peek() {
	case '"':
		raw, _ := c.RawString()
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			return 0
		}
		return n
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		n, _ := c.Int()
		return int(n)
	default:
		c.Skip()
		return 0
	}
}
