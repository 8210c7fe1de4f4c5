package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// kind tells chat completions from text completions.
type kind uint8

const (
	kindChat kind = iota
	kindText
)

// Fixed bytes of the OpenAI SSE encoding.
const (
	dataPrefix   = "data: "
	eventEnd     = "\n\n"
	doneEvent    = dataPrefix + wire.StreamDone + eventEnd
	keepAlive    = ": keep-alive" + eventEnd
	chatIDPrefix = "chatcmpl-"
	textIDPrefix = "cmpl-"
	// The choice of a token chunk around the token's JSON string.
	chatTokenOpen  = `{"index":0,"delta":{"content":`
	chatTokenClose = `},"finish_reason":null}]}` + eventEnd
	textTokenOpen  = `{"text":`
	textTokenClose = `,"index":0,"finish_reason":null}]}` + eventEnd
	// roleChoice is the choice of the first chunk of a chat stream.
	roleChoice = `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + eventEnd
)

// renderer renders one completion's responses and chunks.
type renderer struct {
	kind    kind
	id      string
	model   string
	created int64
	// head is `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`,
	// the start of every chunk, built once.
	head []byte
}

func newRenderer(k kind, taskID, model string, created int64) *renderer {
	r := &renderer{kind: k, model: model, created: created}
	var obj []byte
	if k == kindChat {
		r.id = chatIDPrefix + taskID
		c := wire.ChatCompletionChunk{ID: r.id, Object: wire.ObjectChatCompletionChunk, Created: created, Model: model}
		obj = c.AppendJSON(nil)
	} else {
		r.id = textIDPrefix + taskID
		c := wire.CompletionChunk{ID: r.id, Object: wire.ObjectTextCompletion, Created: created, Model: model}
		obj = c.AppendJSON(nil)
	}
	// obj ends with the empty choices array and the object: `[]}`.
	r.head = append([]byte(dataPrefix), obj[:len(obj)-len("]}")]...)
	return r
}

// role appends the first chunk of a chat stream; nothing for text.
func (r *renderer) role(dst []byte) []byte {
	if r.kind != kindChat {
		return dst
	}
	dst = append(dst, r.head...)
	return append(dst, roleChoice...)
}

// token appends the chunk of one token; text is the token's JSON string
// literal, copied as it is.
func (r *renderer) token(dst, text []byte) []byte {
	dst = append(dst, r.head...)
	if r.kind == kindChat {
		dst = append(dst, chatTokenOpen...)
		dst = append(dst, text...)
		return append(dst, chatTokenClose...)
	}
	dst = append(dst, textTokenOpen...)
	dst = append(dst, text...)
	return append(dst, textTokenClose...)
}

// final appends the chunk that carries the finish reason.
func (r *renderer) final(dst []byte, reason string) []byte {
	dst = append(dst, dataPrefix...)
	if r.kind == kindChat {
		c := wire.ChatCompletionChunk{ID: r.id, Object: wire.ObjectChatCompletionChunk, Created: r.created, Model: r.model,
			Choices: []wire.ChatChunkChoice{{Index: 0, FinishReason: &reason}}}
		dst = c.AppendJSON(dst)
	} else {
		c := wire.CompletionChunk{ID: r.id, Object: wire.ObjectTextCompletion, Created: r.created, Model: r.model,
			Choices: []wire.CompletionChoice{{Index: 0, FinishReason: &reason}}}
		dst = c.AppendJSON(dst)
	}
	return append(dst, eventEnd...)
}

// usage appends the usage chunk (no choices).
func (r *renderer) usage(dst []byte, u wire.Usage) []byte {
	dst = append(dst, dataPrefix...)
	if r.kind == kindChat {
		c := wire.ChatCompletionChunk{ID: r.id, Object: wire.ObjectChatCompletionChunk, Created: r.created, Model: r.model, Usage: &u}
		dst = c.AppendJSON(dst)
	} else {
		c := wire.CompletionChunk{ID: r.id, Object: wire.ObjectTextCompletion, Created: r.created, Model: r.model, Usage: &u}
		dst = c.AppendJSON(dst)
	}
	return append(dst, eventEnd...)
}

// streamError appends the OpenAI error object of an in-stream error frame.
func streamError(dst []byte, f *wire.ErrorFrame) []byte {
	b, err := json.Marshal(wire.NewOpenAIError(f.Code, f.Message))
	if err != nil {
		b = []byte(`{"error":{"message":"internal error","type":"server_error","code":"INTERNAL"}}`)
	}
	dst = append(dst, dataPrefix...)
	dst = append(dst, b...)
	return append(dst, eventEnd...)
}

// body is the non-streamed response of a finished task.
func (r *renderer) body(res result) any {
	reason := finishReason(res.end)
	u := usageOf(res.end, res.prompt)
	if r.kind == kindChat {
		return wire.ChatCompletion{
			ID: r.id, Object: wire.ObjectChatCompletion, Created: r.created, Model: r.model,
			Choices: []wire.ChatChoice{{Index: 0, Message: wire.ChatMessage{Role: wire.RoleAssistant, Content: res.text}, FinishReason: reason}},
			Usage:   &u,
		}
	}
	return wire.Completion{
		ID: r.id, Object: wire.ObjectTextCompletion, Created: r.created, Model: r.model,
		Choices: []wire.CompletionChoice{{Text: res.text, Index: 0, FinishReason: &reason}},
		Usage:   &u,
	}
}

// finishReason maps an end frame to OpenAI's finish_reason: "length" when
// the token limit was hit, else "stop" (a canceled task included).
func finishReason(f *wire.EndFrame) string {
	if f.FinishReason == wire.FinishLength {
		return string(wire.FinishLength)
	}
	return string(wire.FinishStop)
}

// usageOf counts a finished task's tokens: completion tokens from its end
// frame, prompt tokens as the engine counted them (0 when it did not).
func usageOf(f *wire.EndFrame, prompt int) wire.Usage {
	return wire.Usage{PromptTokens: prompt, CompletionTokens: f.TokensOut, TotalTokens: prompt + f.TokensOut}
}

// errBadFrame reports a log frame this package cannot read; the log's own
// encoder never writes one.
var errBadFrame = errors.New("openai: malformed event log frame")

// Log frame names this package reads.
var (
	evToken = []byte(wire.EventToken)
	evEnd   = []byte(wire.EventEnd)
	evError = []byte(wire.EventError)
)

// nextFrame splits the first frame off the SSE encoding of a log
// (`id: N\nevent: E\ndata: D\n\n`, streaming.Log.ReadFrom) and returns its
// event and data.
func nextFrame(sse []byte) (event, data, rest []byte, err error) {
	end := bytes.Index(sse, []byte(eventEnd))
	if end < 0 {
		return nil, nil, nil, fmt.Errorf("%w: truncated", errBadFrame)
	}
	block, rest := sse[:end], sse[end+len(eventEnd):]
	_, after, ok := bytes.Cut(block, []byte("\nevent: "))
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no event line", errBadFrame)
	}
	event, data, ok = bytes.Cut(after, []byte("\ndata: "))
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: no data line", errBadFrame)
	}
	return event, data, rest, nil
}

// tokenText returns the JSON string literal of a token frame's data
// `{"t":<string>,"i":<index>}`. Inside the literal every quote is escaped,
// so the last `,"i":` is the one after it.
func tokenText(data []byte) ([]byte, error) {
	const open, sep = `{"t":`, `,"i":`
	i := bytes.LastIndex(data, []byte(sep))
	if !bytes.HasPrefix(data, []byte(open)) || i < len(open)+2 || data[len(open)] != '"' || data[i-1] != '"' {
		return nil, fmt.Errorf("%w: token data %.64q", errBadFrame, data)
	}
	return data[len(open):i], nil
}

// terminal decodes a terminal frame: an end or an error.
func terminal(event, data []byte) (*wire.EndFrame, *wire.ErrorFrame, error) {
	if bytes.Equal(event, evEnd) {
		var f wire.EndFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, nil, fmt.Errorf("%w: end: %v", errBadFrame, err)
		}
		return &f, nil, nil
	}
	var f wire.ErrorFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, nil, fmt.Errorf("%w: error: %v", errBadFrame, err)
	}
	return nil, &f, nil
}

// result is a finished task as a non-streamed response needs it.
type result struct {
	text   string
	prompt int              // the engine's prompt token count
	end    *wire.EndFrame   // set when the task ended, or
	failed *wire.ErrorFrame // when it failed
}

// collect reads a finished log's SSE encoding: the concatenated token text
// and the terminal frame.
func collect(sse []byte) (result, error) {
	// The token literals' contents concatenated form one literal.
	lit := []byte{'"'}
	for len(sse) > 0 {
		event, data, rest, err := nextFrame(sse)
		if err != nil {
			return result{}, err
		}
		sse = rest
		switch {
		case bytes.Equal(event, evToken):
			text, err := tokenText(data)
			if err != nil {
				return result{}, err
			}
			lit = append(lit, text[1:len(text)-1]...)
		case bytes.Equal(event, evEnd), bytes.Equal(event, evError):
			end, failed, err := terminal(event, data)
			if err != nil {
				return result{}, err
			}
			res := result{end: end, failed: failed}
			if err := json.Unmarshal(append(lit, '"'), &res.text); err != nil {
				return result{}, fmt.Errorf("%w: token text: %v", errBadFrame, err)
			}
			return res, nil
		}
	}
	return result{}, fmt.Errorf("%w: no terminal frame", errBadFrame)
}
