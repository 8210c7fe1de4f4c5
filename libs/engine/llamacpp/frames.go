package llamacpp

import (
	"bytes"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonscan"
	"github.com/orchestratord/orchestratord/libs/engine/internal/sse"
)

// stopType is the final frame's "stop_type".
type stopType uint8

const (
	stopNone stopType = iota
	stopEOS
	stopWord
	stopLimit
)

// frames parses one /completion stream; it implements httpstream.Parser and
// is pooled, so it is reset before each stream.
type frames struct {
	cur           jsonscan.Cursor
	done          bool
	stop          stopType
	predicted     int
	havePredicted bool
	evaluated     int
}

var _ httpstream.Parser = (*frames)(nil)

func (f *frames) reset() {
	cur := f.cur
	*f = frames{cur: cur}
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
		return f.frame(value, text) // the common case: neither blank nor [DONE]
	}
	if len(bytes.TrimSpace(value)) == 0 {
		return text, false, nil
	}
	if sse.IsDone(value) {
		f.done = true
		return text, true, nil
	}
	return f.frame(value, text)
}

// EndOK implements httpstream.Parser: /completion always ends with "stop": true.
func (f *frames) EndOK() bool { return false }

// frame reads one JSON frame, appending its content to text.
func (f *frames) frame(b, text []byte) ([]byte, bool, error) {
	c := &f.cur
	c.Reset(b)
	n := len(text)
	var (
		stop bool
		fail *engine.Error
	)
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		switch string(key) {
		case "content":
			text, _ = c.AppendText(text[:n])
		case "stop":
			stop, _ = c.Bool()
		case "stop_type":
			raw, _ := c.RawString()
			f.stop = parseStopType(raw)
		case "tokens_predicted":
			if n, ok := c.Int(); ok {
				f.predicted, f.havePredicted = int(n), true
			}
		case "tokens_evaluated":
			if n, ok := c.Int(); ok {
				f.evaluated = int(n)
			}
		case "error":
			fail = httpstream.ReadErrorValue(c)
		default:
			c.Skip()
		}
	}
	if !c.AtEnd() {
		return text[:n], false, httpstream.MalformedError("llama.cpp frame is not a JSON object")
	}
	if fail != nil {
		return text[:n], false, fail
	}
	f.done = stop
	return text, stop, nil
}

func parseStopType(raw []byte) stopType {
	switch string(raw) {
	case "eos":
		return stopEOS
	case "word":
		return stopWord
	case "limit":
		return stopLimit
	default:
		return stopNone
	}
}

// result builds the Result of a stream that reached its final frame.
func (f *frames) result(out httpstream.Outcome) engine.Result {
	r := engine.Result{
		TokensOut:     out.Chunks,
		PromptTokens:  f.evaluated,
		FinishReason:  engine.FinishStop,
		EngineVersion: out.Header.Get("Server"),
	}
	if f.havePredicted {
		r.TokensOut = f.predicted
	}
	if f.stop == stopLimit {
		r.FinishReason = engine.FinishLength
	}
	return r
}
