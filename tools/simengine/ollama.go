package simengine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ollama's native API (github.com/ollama/ollama v0.17.4, server/routes.go
// and api/types.go). Every body is Go's json.Marshal of the api structs:
// fields in struct order, omitempty metrics, time.Time as RFC 3339 with
// nanoseconds (trailing zeros dropped), strings with HTML escaping (see
// appendGoJSONString). Streams are "application/x-ndjson", one object and
// "\n" per line; errors are {"error": "..."}.

// OllamaVersion is what GET /api/version reports.
const OllamaVersion = "0.17.4"

const (
	contentTypeNDJSON     = "application/x-ndjson"
	contentTypeOllamaJSON = "application/json; charset=utf-8"
)

// ollamaBody is the part of an /api/generate or /api/chat body the
// simulator reads.
type ollamaBody struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	Messages  []chatMessage   `json:"messages"`
	Stream    *bool           `json:"stream"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Options   struct {
		NumPredict *int            `json:"num_predict"`
		Seed       *int64          `json:"seed"`
		Stop       json.RawMessage `json:"stop"`
	} `json:"options"`
}

func (s *Server) handleOllamaGenerate(w http.ResponseWriter, r *http.Request) {
	s.handleOllama(w, r, false)
}

func (s *Server) handleOllamaChat(w http.ResponseWriter, r *http.Request) { s.handleOllama(w, r, true) }

func (s *Server) handleOllama(w http.ResponseWriter, r *http.Request, chat bool) {
	var body ollamaBody
	if err := decodeBody(r, &body); err != nil {
		s.stats.rejected()
		writeOllamaError(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.Model == "" {
		s.stats.rejected()
		writeOllamaError(w, http.StatusBadRequest, "model is required")
		return
	}
	served, ok := s.ollamaModel(body.Model)
	if !ok {
		s.stats.rejected()
		writeOllamaError(w, http.StatusNotFound, fmt.Sprintf("model '%s' not found", body.Model))
		return
	}
	stream := body.Stream == nil || *body.Stream
	enc := &ollamaEncoder{chat: chat, stream: stream, model: body.Model, start: s.cfg.now(), now: s.cfg.now}
	if (chat && len(body.Messages) == 0) || (!chat && body.Prompt == "") {
		// No input: Ollama only loads (or, with keep_alive 0, unloads) the model.
		reason := "load"
		if string(body.KeepAlive) == "0" || string(body.KeepAlive) == `"0"` || string(body.KeepAlive) == `"0s"` {
			reason = "unload"
			s.loaded.unload(served)
		} else {
			if !s.switchModel(r, served) {
				return
			}
		}
		ct := contentTypeOllamaJSON
		if stream {
			ct = contentTypeNDJSON
		}
		writeJSON(w, http.StatusOK, ct, enc.appendLoad(nil, reason))
		return
	}
	if !s.switchModel(r, served) {
		return
	}
	p, err := s.parseOllama(r, &body, chat)
	if err != nil {
		s.stats.rejected()
		writeOllamaError(w, http.StatusBadRequest, err.Error())
		return
	}
	enc.promptTokens = p.promptTokens
	enc.promptIDs = promptIDs(p.prompt, len(s.vocab))
	rf := s.faults.take()
	if rf.fail {
		s.stats.failed()
		writeOllamaError(w, http.StatusInternalServerError, "llama runner process has terminated: simulated engine failure before the first token")
		return
	}
	ct := contentTypeOllamaJSON
	if stream {
		ct = contentTypeNDJSON
	}
	s.serveGeneration(w, r, p, enc, ct, rf)
}

func (s *Server) parseOllama(r *http.Request, body *ollamaBody, chat bool) (*genParams, error) {
	prompt, promptTokens := body.Prompt, countPromptTokens(body.Prompt)
	if chat {
		var err error
		if prompt, promptTokens, err = chatPrompt(body.Messages); err != nil {
			return nil, err
		}
	}
	stop, err := parseStop(body.Options.Stop, true)
	if err != nil {
		return nil, err
	}
	maxTokens := -1
	if n := body.Options.NumPredict; n != nil && *n >= 0 {
		maxTokens = *n
	}
	id, n := s.nextID()
	return &genParams{
		id: requestID(r, "ollama-", id), taskID: n, model: body.Model,
		prompt: prompt, promptTokens: promptTokens, maxTokens: maxTokens,
		stop: stop, seed: s.requestSeed(body.Options.Seed), style: stopLlama, keepIDs: !chat,
	}, nil
}

// ollamaModel resolves a requested name: "tiny" and "tiny:latest" both
// name the served model "tiny", as Ollama's name parsing makes them equal.
func (s *Server) ollamaModel(name string) (string, bool) {
	if m, ok := s.model(name); ok && name != "" {
		return m, true
	}
	if bare, ok := strings.CutSuffix(name, ":latest"); ok {
		return s.model(bare)
	}
	return "", false
}

// ollamaName is how Ollama lists a model: with its tag, ":latest" by default.
func ollamaName(model string) string {
	if i := strings.LastIndexByte(model, ':'); i >= 0 && !strings.Contains(model[i:], "/") {
		return model
	}
	return model + ":latest"
}

// promptIDs is the simulated tokenization of a prompt for the "context"
// array: BOS, then one id per word.
func promptIDs(prompt string, vocab int) []int {
	ids := []int{1}
	for _, w := range strings.Fields(prompt) {
		rng := newTokenRNG(0, w)
		ids = append(ids, tokenIDBase+rng.next(vocab))
	}
	return ids
}

// ollamaEncoder writes /api/generate and /api/chat streams and bodies.
type ollamaEncoder struct {
	chat         bool
	stream       bool
	model        string
	promptTokens int
	promptIDs    []int
	start        time.Time
	now          func() time.Time
}

func (e *ollamaEncoder) head(b []byte) []byte { return b }

// open appends {"model":…,"created_at":…, up to the text.
func (e *ollamaEncoder) open(b []byte) []byte {
	b = append(b, `{"model":`...)
	b = appendGoJSONString(b, e.model)
	b = append(b, `,"created_at":"`...)
	b = e.now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"', ',')
	return b
}

func (e *ollamaEncoder) text(b []byte, text []byte) []byte {
	if e.chat {
		b = append(b, `"message":{"role":"assistant","content":`...)
		b = appendGoJSONString(b, text)
		return append(b, '}')
	}
	b = append(b, `"response":`...)
	return appendGoJSONString(b, text)
}

func (e *ollamaEncoder) token(b []byte, ev *tokenEvent) []byte {
	if !e.stream {
		if ev.finish == finishNone {
			return b
		}
		return e.appendFinal(b, ev, ev.text)
	}
	// The runner sends the last piece like any other, then a done object
	// without text.
	if ev.finish == finishNone || len(ev.emit) > 0 {
		b = e.text(e.open(b), ev.emit)
		b = append(b, `,"done":false}`+"\n"...)
	}
	if ev.finish == finishNone {
		return b
	}
	return e.appendFinal(b, ev, nil)
}

// appendFinal appends the done object: the last text, done_reason, the
// context (generate) and the metrics.
func (e *ollamaEncoder) appendFinal(b []byte, ev *tokenEvent, text []byte) []byte {
	b = e.text(e.open(b), text)
	b = append(b, `,"done":true,"done_reason":"`...)
	if ev.finish == finishLimit {
		b = append(b, "length"...)
	} else {
		b = append(b, "stop"...)
	}
	b = append(b, '"')
	if !e.chat {
		b = append(b, `,"context":[`...)
		for i, id := range append(e.promptIDs[:len(e.promptIDs):len(e.promptIDs)], ev.ids...) {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(id), 10)
		}
		b = append(b, ']')
	}
	total := max(e.now().Sub(e.start), time.Microsecond)
	metric := func(b []byte, name string, v int64) []byte {
		if v == 0 {
			return b
		}
		b = append(b, `,"`...)
		b = append(b, name...)
		b = append(b, `":`...)
		return strconv.AppendInt(b, v, 10)
	}
	b = metric(b, "total_duration", int64(total))
	b = metric(b, "load_duration", int64(time.Microsecond))
	b = metric(b, "prompt_eval_count", int64(e.promptTokens))
	b = metric(b, "prompt_eval_duration", int64(ev.timings.promptMs*1e6))
	b = metric(b, "eval_count", int64(ev.n))
	b = metric(b, "eval_duration", int64(ev.timings.predictedMs*1e6))
	b = append(b, '}')
	if e.stream {
		b = append(b, '\n')
	}
	return b
}

// appendLoad appends the answer to a request without input.
func (e *ollamaEncoder) appendLoad(b []byte, reason string) []byte {
	b = e.open(b)
	if e.chat {
		b = append(b, `"message":{"role":"assistant","content":""}`...)
	} else {
		b = append(b, `"response":""`...)
	}
	b = append(b, `,"done":true,"done_reason":"`...)
	b = append(b, reason...)
	b = append(b, `"}`...)
	if e.stream {
		b = append(b, '\n')
	}
	return b
}

// writeOllamaError writes gin's c.JSON(status, gin.H{"error": msg}).
func writeOllamaError(w http.ResponseWriter, status int, msg string) {
	b := append([]byte(`{"error":`), appendGoJSONString(nil, msg)...)
	writeJSON(w, status, contentTypeOllamaJSON, append(b, '}'))
}

// switchModel loads model as Ollama does before using it: at once when it
// is loaded, else after the switch time. It reports false when the client
// left meanwhile.
func (s *Server) switchModel(r *http.Request, model string) bool {
	if slices.Contains(s.loaded.list(), model) {
		return true
	}
	if s.cfg.switchTime > 0 {
		t := time.NewTimer(s.cfg.switchTime)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return false
		case <-t.C:
		}
	}
	s.loaded.load(model)
	return true
}
