package openaicompat

import (
	"bytes"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonscan"
	"github.com/orchestratord/orchestratord/libs/engine/internal/sse"
)

// frames parses one OpenAI-compatible stream; it implements
// httpstream.Parser and is pooled, so it is reset before each stream.
type frames struct {
	cur        jsonscan.Cursor
	done       bool
	finished   bool // a finish_reason was seen
	length     bool // the last finish_reason was "length"
	haveUsage  bool
	completion int
	prompt     int
	version    string
	// prefix holds the first bytes of an earlier chunk of the stream, up to
	// and including a ',' after members that change nothing (id, object,
	// created, model): the chunks of a stream repeat them, and a chunk that
	// starts with the same bytes is read from that ',' on.
	prefix []byte
}

var _ httpstream.Parser = (*frames)(nil)

func (f *frames) reset() {
	cur, prefix := f.cur, f.prefix[:0]
	*f = frames{cur: cur, prefix: prefix}
}

// Line implements httpstream.Parser.
func (f *frames) Line(line, text []byte) ([]byte, bool, error) {
	if f.done {
		return text, true, nil
	}
	field, value := sse.Split(line)
	switch field {
	case sse.Data:
	case sse.Error:
		f.cur.Reset(value)
		return text, false, httpstream.ReadErrorValue(&f.cur)
	default:
		return text, false, nil
	}
	if len(value) > 0 && value[0] == '{' {
		return f.chunk(value, text) // the common case: neither blank nor [DONE]
	}
	if len(bytes.TrimSpace(value)) == 0 {
		return text, false, nil
	}
	if sse.IsDone(value) {
		f.done = true
		return text, true, nil
	}
	return f.chunk(value, text)
}

// EndOK implements httpstream.Parser: a body that ends after a finish_reason
// is complete even without [DONE].
func (f *frames) EndOK() bool { return f.finished }

// members starts reading the members of chunk b, after f.prefix when b
// starts with it.
func (f *frames) members(b []byte) (m jsonscan.Members, resumed bool) {
	if len(f.prefix) > 0 && bytes.HasPrefix(b, f.prefix) {
		return f.cur.ResumeObject(b, len(f.prefix)-1), true
	}
	f.cur.Reset(b)
	return f.cur.Object(), false
}

// chunk reads one JSON chunk, appending its text to text.
func (f *frames) chunk(b, text []byte) ([]byte, bool, error) {
	c := &f.cur
	n := len(text)
	var (
		fail     *engine.Error
		errorObj bool // older vLLM: {"object": "error", "message", "code"}
		message  string
		code     int
		inert    = true // every member so far changed nothing
		inertEnd = -1   // the ',' after the last of them
	)
	m, resumed := f.members(b)
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		changes := true
		switch string(key) {
		case "choices":
			text = f.choices(c, text[:n])
		case "usage":
			f.usage(c)
		case "error":
			if !c.Null() {
				fail = httpstream.ReadErrorValue(c)
			}
		case "object":
			errorObj = isErrorObject(c)
			changes = errorObj
		case "message":
			message = httpstream.TextOrSkip(c)
		case "code":
			code = httpstream.ReadCode(c)
		case "system_fingerprint":
			if f.version == "" {
				f.version, _ = c.Text()
			} else {
				c.Skip()
			}
		default:
			c.Skip()
			changes = false
		}
		if inert = inert && !changes; inert {
			inertEnd = m.Comma()
		}
	}
	if !c.AtEnd() {
		return text[:n], false, httpstream.MalformedError("OpenAI chunk is not a JSON object")
	}
	switch {
	case fail != nil:
		return text[:n], false, fail
	case errorObj:
		return text[:n], false, &engine.Error{Kind: engine.KindEngine, Status: code, Message: message, Err: engine.ErrEngineReported}
	}
	if inertEnd >= 0 && (!resumed || inertEnd >= len(f.prefix)) {
		f.prefix = append(f.prefix[:0], b[:inertEnd+1]...)
	}
	return text, false, nil
}

// isErrorObject reads an "object" member and reports whether it is "error",
// without allocating.
func isErrorObject(c *jsonscan.Cursor) bool {
	if c.Peek() != '"' {
		c.Skip()
		return false
	}
	raw, _ := c.RawString()
	return string(raw) == "error"
}

// choices reads the first choice's finish_reason and appends its text to
// text.
func (f *frames) choices(c *jsonscan.Cursor, text []byte) []byte {
	if c.Null() {
		return text
	}
	n := len(text)
	e := c.Array()
	for first := true; e.Next(); first = false {
		if !first {
			c.Skip()
			continue
		}
		m := c.Object()
		for key, ok := m.Next(); ok; key, ok = m.Next() {
			switch string(key) {
			case "text":
				text, _ = c.AppendText(text[:n])
			case "delta", "message":
				text = content(c, text[:n])
			case "finish_reason":
				f.finish(c)
			default:
				c.Skip()
			}
		}
	}
	return text
}

// content appends the "content" of a delta or message object to text.
func content(c *jsonscan.Cursor, text []byte) []byte {
	if c.Null() {
		return text
	}
	n := len(text)
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		if string(key) == "content" {
			text, _ = c.AppendText(text[:n])
			continue
		}
		c.Skip()
	}
	return text
}

func (f *frames) finish(c *jsonscan.Cursor) {
	if c.Null() {
		return
	}
	raw, ok := c.RawString()
	if !ok || len(raw) == 0 {
		return
	}
	f.finished, f.length = true, string(raw) == "length"
}

func (f *frames) usage(c *jsonscan.Cursor) {
	if c.Null() {
		return
	}
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		switch string(key) {
		case "completion_tokens":
			if n, ok := c.Int(); ok {
				f.completion, f.haveUsage = int(n), true
			}
		case "prompt_tokens":
			if n, ok := c.Int(); ok {
				f.prompt = int(n)
			}
		default:
			c.Skip()
		}
	}
}

// result builds the Result of a stream that ended completely.
func (f *frames) result(out httpstream.Outcome) engine.Result {
	r := engine.Result{
		TokensOut:     out.Chunks,
		PromptTokens:  f.prompt,
		FinishReason:  engine.FinishStop,
		EngineVersion: f.version,
	}
	if f.haveUsage {
		r.TokensOut = f.completion
	}
	if f.length {
		r.FinishReason = engine.FinishLength
	}
	return r
}
