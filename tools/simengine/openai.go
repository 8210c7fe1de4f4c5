package simengine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// oaiBody is the part of an OpenAI completion or chat body the simulator
// reads.
type oaiBody struct {
	Model               string          `json:"model"`
	Prompt              json.RawMessage `json:"prompt"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Stop      json.RawMessage `json:"stop"`
	Seed      *int64          `json:"seed"`
	N         *int            `json:"n"`
	IgnoreEOS bool            `json:"ignore_eos"`
}

func (s *Server) handleOAICompletion(w http.ResponseWriter, r *http.Request) {
	s.handleOAI(w, r, false)
}
func (s *Server) handleOAIChat(w http.ResponseWriter, r *http.Request) { s.handleOAI(w, r, true) }

func (s *Server) handleOAI(w http.ResponseWriter, r *http.Request, chat bool) {
	var body oaiBody
	if err := decodeBody(r, &body); err != nil {
		s.stats.rejected()
		writeOAIError(w, http.StatusBadRequest, "BadRequestError", err.Error(), "")
		return
	}
	model, ok := s.model(body.Model)
	if !ok {
		s.stats.rejected()
		writeOAIError(w, http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", body.Model), "model")
		return
	}
	p, err := s.parseOAI(r, &body, chat, model)
	if err != nil {
		s.stats.rejected()
		writeOAIError(w, http.StatusBadRequest, "BadRequestError", err.Error(), "")
		return
	}
	rf := s.faults.take()
	if rf.fail {
		s.stats.failed()
		writeOAIError(w, http.StatusInternalServerError, "InternalServerError", "simulated engine failure before the first token", "")
		return
	}
	enc := newOAIEncoder(p, chat, body.Stream, body.StreamOptions != nil && body.StreamOptions.IncludeUsage, s.cfg.now().Unix())
	ct := contentTypeOAIJSON
	if body.Stream {
		ct = contentTypeOAISSE
	}
	s.serveGeneration(w, r, p, enc, ct, rf)
}

func (s *Server) parseOAI(r *http.Request, body *oaiBody, chat bool, model string) (*genParams, error) {
	var prompt string
	var promptTokens int
	var err error
	if chat {
		prompt, promptTokens, err = chatPrompt(body.Messages)
	} else {
		prompt, err = parsePrompt(body.Prompt, "prompt")
		promptTokens = countPromptTokens(prompt)
	}
	if err != nil {
		return nil, err
	}
	stop, err := parseStop(body.Stop, true)
	if err != nil {
		return nil, err
	}
	if body.N != nil && *body.N != 1 {
		return nil, badRequestf("the simulated engine supports n=1 only")
	}
	maxTokens := 16
	switch {
	case body.MaxCompletionTokens != nil && chat:
		maxTokens = *body.MaxCompletionTokens
	case body.MaxTokens != nil:
		maxTokens = *body.MaxTokens
	case chat:
		maxTokens = s.cfg.ctx - promptTokens
	}
	if maxTokens < 1 {
		return nil, badRequestf("max_tokens must be at least 1, got %d", maxTokens)
	}
	if promptTokens+maxTokens > s.cfg.ctx {
		return nil, badRequestf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			s.cfg.ctx, promptTokens+maxTokens, promptTokens, maxTokens)
	}
	prefix := "cmpl-"
	if chat {
		prefix = "chatcmpl-"
	}
	id, n := s.nextID()
	return &genParams{
		id: requestID(r, prefix, id), taskID: n, model: model,
		prompt: prompt, promptTokens: promptTokens, maxTokens: maxTokens,
		stop: stop, seed: s.requestSeed(body.Seed), style: stopVLLM, ignoreEOS: body.IgnoreEOS,
	}, nil
}

// oaiEncoder writes vLLM's completion / chat stream or body.
type oaiEncoder struct {
	p            *genParams
	chat         bool
	stream       bool
	includeUsage bool
	created      int64
	prefix       []byte // a chunk up to the text value
	envelope     []byte // {"id":…,"object":…,"created":…,"model":…,
}

func newOAIEncoder(p *genParams, chat, stream, includeUsage bool, created int64) *oaiEncoder {
	e := &oaiEncoder{p: p, chat: chat, stream: stream, includeUsage: includeUsage, created: created}
	object := "text_completion"
	if chat {
		object = "chat.completion.chunk"
		if !stream {
			object = "chat.completion"
		}
	}
	e.envelope = append(e.envelope, `{"id":`...)
	e.envelope = appendJSONString(e.envelope, p.id)
	e.envelope = append(e.envelope, `,"object":"`...)
	e.envelope = append(e.envelope, object...)
	e.envelope = append(e.envelope, `","created":`...)
	e.envelope = strconv.AppendInt(e.envelope, created, 10)
	e.envelope = append(e.envelope, `,"model":`...)
	e.envelope = appendJSONString(e.envelope, p.model)
	e.envelope = append(e.envelope, ',')
	e.prefix = append(append([]byte("data: "), e.envelope...), `"choices":[{"index":0,`...)
	if chat {
		e.prefix = append(e.prefix, `"delta":{"content":`...)
	} else {
		e.prefix = append(e.prefix, `"text":`...)
	}
	return e
}

// head is the chat stream's first chunk, the assistant role.
func (e *oaiEncoder) head(b []byte) []byte {
	if !e.stream || !e.chat {
		return b
	}
	b = append(b, "data: "...)
	b = append(b, e.envelope...)
	return append(b, `"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
}

func finishReason(f finishKind) string {
	if f == finishLimit {
		return "length"
	}
	return "stop"
}

func (e *oaiEncoder) token(b []byte, ev *tokenEvent) []byte {
	if !e.stream {
		if ev.finish == finishNone {
			return b
		}
		return e.appendBody(b, ev)
	}
	b = append(b, e.prefix...)
	b = appendJSONString(b, ev.emit)
	if e.chat {
		b = append(b, '}')
	}
	if ev.finish == finishNone {
		if e.chat {
			return append(b, `,"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
		}
		return append(b, `,"logprobs":null,"finish_reason":null,"stop_reason":null}]}`+"\n\n"...)
	}
	b = append(b, `,"logprobs":null,"finish_reason":"`...)
	b = append(b, finishReason(ev.finish)...)
	b = append(b, `","stop_reason":`...)
	if ev.stopWord != "" {
		b = appendJSONString(b, ev.stopWord)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, "}]}\n\n"...)
	if e.includeUsage {
		b = append(b, "data: "...)
		b = append(b, e.envelope...)
		b = append(b, `"choices":[],"usage":`...)
		b = e.appendUsage(b, ev.n, false)
		b = append(b, "}\n\n"...)
	}
	return append(b, "data: [DONE]\n\n"...)
}

// appendUsage appends UsageInfo (prompt_tokens, total_tokens,
// completion_tokens); the non-streaming body also shows the null details.
func (e *oaiEncoder) appendUsage(b []byte, n int, details bool) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(e.p.promptTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(e.p.promptTokens+n), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	if details {
		b = append(b, `,"prompt_tokens_details":null`...)
	}
	return append(b, '}')
}

// appendBody appends the non-streaming CompletionResponse or
// ChatCompletionResponse (model_dump, every field).
func (e *oaiEncoder) appendBody(b []byte, ev *tokenEvent) []byte {
	b = append(b, e.envelope...)
	b = append(b, `"choices":[{"index":0,`...)
	if e.chat {
		b = append(b, `"message":{"role":"assistant","content":`...)
		b = appendJSONString(b, ev.text)
		b = append(b, `,"refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning_content":null}`...)
	} else {
		b = append(b, `"text":`...)
		b = appendJSONString(b, ev.text)
	}
	b = append(b, `,"logprobs":null,"finish_reason":"`...)
	b = append(b, finishReason(ev.finish)...)
	b = append(b, `","stop_reason":`...)
	if ev.stopWord != "" {
		b = appendJSONString(b, ev.stopWord)
	} else {
		b = append(b, "null"...)
	}
	if !e.chat {
		b = append(b, `,"prompt_logprobs":null`...)
	}
	b = append(b, `}],"service_tier":null,"system_fingerprint":null,"usage":`...)
	b = e.appendUsage(b, ev.n, true)
	if e.chat {
		b = append(b, `,"prompt_logprobs":null`...)
	}
	return append(b, `,"kv_transfer_params":null}`...)
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	created := s.cfg.now().Unix()
	var j jsonWriter
	j.obj().key("object").str("list").key("data").arr()
	for _, m := range s.cfg.models {
		id, _ := s.nextID()
		j.obj().key("id").str(m).
			key("object").str("model").
			key("created").num(created).
			key("owned_by").str("vllm").
			key("root").str(m).
			key("parent").null().
			key("max_model_len").num(int64(s.cfg.ctx)).
			key("permission").arr().obj().
			key("id").str("modelperm-" + id).
			key("object").str("model_permission").
			key("created").num(created).
			key("allow_create_engine").boolean(false).
			key("allow_sampling").boolean(true).
			key("allow_logprobs").boolean(true).
			key("allow_search_indices").boolean(false).
			key("allow_view").boolean(true).
			key("allow_fine_tuning").boolean(false).
			key("organization").str("*").
			key("group").null().
			key("is_blocking").boolean(false).
			end().end().end()
	}
	j.end().end()
	writeJSON(w, http.StatusOK, contentTypeOAIJSON, j.b)
}
