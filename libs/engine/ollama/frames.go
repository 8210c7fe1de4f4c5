package ollama

import (
	"bytes"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonscan"
)

// frames parses one /api/generate or /api/chat NDJSON stream; it implements
// httpstream.Parser and is pooled, so it is reset before each stream.
type frames struct {
	cur        jsonscan.Cursor
	done       bool
	length     bool // done_reason "length"
	evalCount  int
	haveEval   bool
	promptEval int
}

var _ httpstream.Parser = (*frames)(nil)

func (f *frames) reset() {
	cur := f.cur
	*f = frames{cur: cur}
}

// Line implements httpstream.Parser: one JSON object per line; blank lines
// carry nothing.
func (f *frames) Line(line, text []byte) ([]byte, bool, error) {
	if f.done {
		return text, true, nil
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return text, false, nil
	}
	return f.frame(line, text)
}

// EndOK implements httpstream.Parser: a stream always ends with "done": true.
func (f *frames) EndOK() bool { return false }

// frame reads one JSON object, appending its text to text.
func (f *frames) frame(b, text []byte) ([]byte, bool, error) {
	c := &f.cur
	c.Reset(b)
	n := len(text)
	var (
		done bool
		fail *engine.Error
	)
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		switch string(key) {
		case "response":
			text = httpstream.AppendTextOrSkip(c, text[:n])
		case "message":
			text = messageContent(c, text[:n])
		case "done":
			done, _ = c.Bool()
		case "done_reason":
			raw, _ := c.RawString()
			f.length = string(raw) == "length"
		case "eval_count":
			if n, ok := c.Int(); ok {
				f.evalCount, f.haveEval = int(n), true
			}
		case "prompt_eval_count":
			if n, ok := c.Int(); ok {
				f.promptEval = int(n)
			}
		case "error":
			fail = httpstream.ReadErrorValue(c)
		default:
			c.Skip()
		}
	}
	if !c.AtEnd() {
		return text[:n], false, httpstream.MalformedError("Ollama stream line is not a JSON object")
	}
	if fail != nil {
		return text[:n], false, fail
	}
	f.done = done
	return text, done, nil
}

// messageContent reads a chat "message" object and appends its content to
// text.
func messageContent(c *jsonscan.Cursor, text []byte) []byte {
	if c.Peek() != '{' {
		c.Skip()
		return text
	}
	n := len(text)
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		if string(key) == "content" {
			text = httpstream.AppendTextOrSkip(c, text[:n])
			continue
		}
		c.Skip()
	}
	return text
}

// result builds the Result of a stream that reached its final object.
func (f *frames) result(out httpstream.Outcome) engine.Result {
	r := engine.Result{
		TokensOut:    out.Chunks,
		PromptTokens: f.promptEval,
		FinishReason: engine.FinishStop,
	}
	if f.haveEval {
		r.TokensOut = f.evalCount
	}
	if f.length {
		r.FinishReason = engine.FinishLength
	}
	return r
}
