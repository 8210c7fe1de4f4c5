package simengine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// llamaBody is the part of llama-server's /completion body the simulator
// reads.
type llamaBody struct {
	Prompt      json.RawMessage `json:"prompt"`
	NPredict    *int            `json:"n_predict"`
	MaxTokens   *int            `json:"max_tokens"`
	Stream      bool            `json:"stream"`
	Seed        *int64          `json:"seed"`
	Stop        json.RawMessage `json:"stop"`
	Temperature *float64        `json:"temperature"`
	TopK        *int            `json:"top_k"`
	TopP        *float64        `json:"top_p"`
	MinP        *float64        `json:"min_p"`
	IgnoreEOS   bool            `json:"ignore_eos"`
	Model       string          `json:"model"`
}

// llamaSettings are the request values echoed in generation_settings.
type llamaSettings struct {
	seed        int64
	temperature float32
	topK        int
	topP        float32
	minP        float32
	nPredict    int
	stream      bool
	ignoreEOS   bool
	stop        []string
}

// defaultLlamaSettings are common_params_sampling's defaults.
func defaultLlamaSettings() llamaSettings {
	return llamaSettings{seed: 4294967295, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, nPredict: -1}
}

func (s *Server) handleLlamaCompletion(w http.ResponseWriter, r *http.Request) {
	var body llamaBody
	p, set, err := s.parseLlama(r, &body)
	if err != nil {
		s.stats.rejected()
		writeLlamaError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p.promptTokens >= s.cfg.ctx {
		s.stats.rejected()
		writeLlamaContextError(w, p.promptTokens, s.cfg.ctx)
		return
	}
	rf := s.faults.take()
	if rf.fail {
		s.stats.failed()
		writeLlamaError(w, http.StatusInternalServerError, "simulated engine failure before the first token")
		return
	}
	enc := &llamaEncoder{s: s, p: p, set: set, stream: set.stream}
	ct := contentTypeLlamaJSON
	if set.stream {
		ct = contentTypeLlamaSSE
	}
	s.serveGeneration(w, r, p, enc, ct, rf)
}

func (s *Server) parseLlama(r *http.Request, body *llamaBody) (*genParams, llamaSettings, error) {
	set := defaultLlamaSettings()
	if err := decodeBody(r, body); err != nil {
		return nil, set, err
	}
	prompt, err := parsePrompt(body.Prompt, "prompt")
	if err != nil {
		return nil, set, err
	}
	stop, err := parseStop(body.Stop, false)
	if err != nil {
		return nil, set, err
	}
	switch {
	case body.NPredict != nil:
		set.nPredict = *body.NPredict
	case body.MaxTokens != nil:
		set.nPredict = *body.MaxTokens
	}
	if body.Seed != nil {
		set.seed = *body.Seed
	}
	if body.Temperature != nil {
		set.temperature = float32(*body.Temperature)
	}
	if body.TopK != nil {
		set.topK = *body.TopK
	}
	if body.TopP != nil {
		set.topP = float32(*body.TopP)
	}
	if body.MinP != nil {
		set.minP = float32(*body.MinP)
	}
	set.stream, set.ignoreEOS, set.stop = body.Stream, body.IgnoreEOS, stop
	// llama-server serves one model and ignores the field; it reports its own
	// alias. The simulator names a requested model it serves.
	model, ok := s.model(body.Model)
	if !ok {
		model = s.cfg.models[0]
	}
	id, n := s.nextID()
	p := &genParams{
		id: requestID(r, "cmpl-", id), taskID: n, model: model,
		prompt: prompt, promptTokens: countPromptTokens(prompt),
		maxTokens: set.nPredict, stop: stop, seed: s.requestSeed(body.Seed),
		style: stopLlama, keepIDs: !body.Stream, ignoreEOS: body.IgnoreEOS,
	}
	if p.maxTokens < -1 {
		return nil, set, badRequestf("n_predict must be >= -1")
	}
	return p, set, nil
}

// writeLlamaContextError is the error of a prompt that does not fit n_ctx.
func writeLlamaContextError(w http.ResponseWriter, nPrompt, nCtx int) {
	var j jsonWriter
	j.obj().key("error").obj().
		key("code").num(http.StatusBadRequest).
		key("message").str(fmt.Sprintf("request (%d tokens) exceeds the available context size (%d tokens), try increasing it", nPrompt, nCtx)).
		key("type").str("exceed_context_size_error").
		key("n_prompt_tokens").num(int64(nPrompt)).
		key("n_ctx").num(int64(nCtx)).
		end().end()
	writeJSON(w, http.StatusBadRequest, contentTypeLlamaJSON, j.b)
}

// llamaEncoder writes llama-server's /completion stream or body.
type llamaEncoder struct {
	s      *Server
	p      *genParams
	set    llamaSettings
	stream bool
}

func (e *llamaEncoder) head(b []byte) []byte { return b }

// token appends the partial frame of one token (stream mode) and, on the last
// token, the final frame; without streaming only the final body.
func (e *llamaEncoder) token(b []byte, ev *tokenEvent) []byte {
	if e.stream {
		b = append(b, `data: {"index":0,"content":`...)
		b = appendJSONString(b, ev.emit)
		b = append(b, `,"tokens":[`...)
		b = strconv.AppendInt(b, int64(ev.id), 10)
		b = append(b, `],"stop":false,"id_slot":`...)
		b = strconv.AppendInt(b, int64(ev.slot), 10)
		b = append(b, `,"tokens_predicted":`...)
		b = strconv.AppendInt(b, int64(ev.n), 10)
		b = append(b, `,"tokens_evaluated":`...)
		b = strconv.AppendInt(b, int64(e.p.promptTokens), 10)
		if ev.finish == finishWord {
			j := jsonWriter{b: append(b, `,"timings":`...)}
			writeTimings(&j, ev.timings)
			b = j.b
		}
		b = append(b, "}\n\n"...)
	}
	if ev.finish == finishNone {
		return b
	}
	if e.stream {
		b = append(b, "data: "...)
	}
	b = e.appendFinal(b, ev)
	if e.stream {
		b = append(b, "\n\n"...)
	}
	return b
}

func stopType(f finishKind) string {
	switch f {
	case finishEOS:
		return "eos"
	case finishLimit:
		return "limit"
	case finishWord:
		return "word"
	}
	return "none"
}

// appendFinal appends server_task_result_cmpl_final::to_json_non_oaicompat.
func (e *llamaEncoder) appendFinal(b []byte, ev *tokenEvent) []byte {
	j := jsonWriter{b: b}
	j.obj().key("index").num(0).key("content")
	if e.stream {
		j.str("").key("tokens").arr().end()
	} else {
		j.str(string(ev.text)).key("tokens").arr()
		for _, id := range ev.ids {
			j.num(int64(id))
		}
		j.end()
	}
	j.key("id_slot").num(int64(ev.slot)).
		key("stop").boolean(true).
		key("model").str(e.p.model).
		key("tokens_predicted").num(int64(ev.n)).
		key("tokens_evaluated").num(int64(e.p.promptTokens)).
		key("generation_settings")
	e.s.appendGenerationSettings(&j, e.set, false)
	j.key("prompt").str(e.p.prompt).
		key("has_new_line").boolean(ev.hasNewLine).
		key("truncated").boolean(ev.truncated).
		key("stop_type").str(stopType(ev.finish)).
		key("stopping_word").str(ev.stopWord).
		key("tokens_cached").num(int64(e.p.promptTokens + ev.n - 1)).
		key("timings")
	writeTimings(&j, ev.timings)
	j.end()
	return j.b
}

// writeTimings writes result_timings::to_json.
func writeTimings(j *jsonWriter, t timings) {
	j.obj().key("cache_n").num(0).
		key("prompt_n").num(int64(t.promptN)).
		key("prompt_ms").dbl(t.promptMs).
		key("prompt_per_token_ms").dbl(t.promptMs / float64(t.promptN)).
		key("prompt_per_second").dbl(1e3 / t.promptMs * float64(t.promptN)).
		key("predicted_n").num(int64(t.predictedN)).
		key("predicted_ms").dbl(t.predictedMs).
		key("predicted_per_token_ms").dbl(t.predictedMs / float64(t.predictedN)).
		key("predicted_per_second").dbl(1e3 / t.predictedMs * float64(t.predictedN)).
		end()
}

// f32 widens a float the way nlohmann::json stores a C++ float.
func f32(v float32) float64 { return float64(v) }

// appendGenerationSettings appends task_params::to_json; onlyMetrics is the
// subset /props and /slots report.
func (s *Server) appendGenerationSettings(j *jsonWriter, set llamaSettings, onlyMetrics bool) {
	j.obj().key("seed").num(set.seed).
		key("temperature").dbl(f32(set.temperature)).
		key("dynatemp_range").dbl(0).
		key("dynatemp_exponent").dbl(1).
		key("top_k").num(int64(set.topK)).
		key("top_p").dbl(f32(set.topP)).
		key("min_p").dbl(f32(set.minP)).
		key("top_n_sigma").dbl(-1).
		key("xtc_probability").dbl(0).
		key("xtc_threshold").dbl(f32(0.1)).
		key("typical_p").dbl(1).
		key("repeat_last_n").num(64).
		key("repeat_penalty").dbl(1).
		key("presence_penalty").dbl(0).
		key("frequency_penalty").dbl(0).
		key("dry_multiplier").dbl(0).
		key("dry_base").dbl(1.75).
		key("dry_allowed_length").num(2).
		key("dry_penalty_last_n").num(int64(s.cfg.ctx))
	if !onlyMetrics {
		j.key("dry_sequence_breakers").strs([]string{"\n", ":", "\"", "*"})
	}
	j.key("mirostat").num(0).
		key("mirostat_tau").dbl(5).
		key("mirostat_eta").dbl(f32(0.1))
	if !onlyMetrics {
		j.key("stop").strs(set.stop)
	}
	j.key("max_tokens").num(int64(set.nPredict)).
		key("n_predict").num(int64(set.nPredict)).
		key("n_keep").num(0).
		key("n_discard").num(0).
		key("ignore_eos").boolean(set.ignoreEOS).
		key("stream").boolean(set.stream)
	if !onlyMetrics {
		j.key("logit_bias").arr().end()
	}
	j.key("n_probs").num(0).key("min_keep").num(0)
	if !onlyMetrics {
		j.key("grammar").str("").
			key("grammar_lazy").boolean(false).
			key("grammar_triggers").arr().end().
			key("preserved_tokens").arr().end()
	}
	j.key("chat_format").str("Content-only").
		key("reasoning_format").str("auto").
		key("reasoning_in_content").boolean(false).
		key("thinking_forced_open").boolean(false).
		key("samplers").strs([]string{"penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"}).
		key("speculative.n_max").num(16).
		key("speculative.n_min").num(0).
		key("speculative.p_min").dbl(f32(0.75)).
		key("timings_per_token").boolean(false).
		key("post_sampling_probs").boolean(false).
		key("lora").arr().end().
		end()
}

func (s *Server) handleSlots(w http.ResponseWriter, _ *http.Request) {
	var j jsonWriter
	j.arr()
	for _, sl := range s.slots.all {
		j.obj().key("id").num(int64(sl.id)).
			key("n_ctx").num(int64(s.cfg.ctx)).
			key("speculative").boolean(false).
			key("is_processing").boolean(sl.processing.Load())
		if task := sl.taskID.Load(); task != 0 {
			remain := sl.nRemain.Load()
			if remain < -1 {
				remain = -1
			}
			j.key("id_task").num(task).
				key("n_prompt_tokens").num(sl.nPrompt.Load()).
				key("next_token").arr().obj().
				key("has_next_token").boolean(sl.processing.Load()).
				key("has_new_line").boolean(sl.hasNewLine.Load()).
				key("n_remain").num(remain).
				key("n_decoded").num(sl.nDecoded.Load()).
				end().end()
		}
		j.end()
	}
	j.end()
	writeJSON(w, http.StatusOK, contentTypeLlamaJSON, j.b)
}

func (s *Server) handleProps(w http.ResponseWriter, _ *http.Request) {
	var j jsonWriter
	j.obj().key("default_generation_settings").obj().key("params")
	s.appendGenerationSettings(&j, defaultLlamaSettings(), true)
	j.key("n_ctx").num(int64(s.cfg.ctx)).end().
		key("total_slots").num(int64(s.cfg.slots)).
		key("model_alias").str(s.cfg.models[0]).
		key("model_path").str("models/" + s.cfg.models[0] + ".gguf").
		key("modalities").obj().key("vision").boolean(false).key("audio").boolean(false).end().
		key("endpoint_slots").boolean(true).
		key("endpoint_props").boolean(false).
		key("endpoint_metrics").boolean(false).
		key("webui").boolean(false).
		key("chat_template").str("").
		key("bos_token").str("<s>").
		key("eos_token").str("</s>").
		key("build_info").str("b0-simengine").
		end()
	writeJSON(w, http.StatusOK, contentTypeLlamaJSON, j.b)
}
