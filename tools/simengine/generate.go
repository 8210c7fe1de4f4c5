package simengine

import (
	"bytes"
	"context"
	"net/http"
	"time"
	"unicode/utf8"
)

// finishKind is why a generation ended.
type finishKind uint8

const (
	finishNone  finishKind = iota
	finishLimit            // max_tokens / n_predict or the context is full
	finishEOS              // the end-of-generation token
	finishWord             // a stop string
)

// stopStyle is whose stop-string behaviour a generation follows.
type stopStyle uint8

const (
	stopLlama stopStyle = iota // hold back on a partial match (process_token)
	stopVLLM                   // hold back max(len(stop))-1 bytes (detokenizer)
)

// genParams is one parsed generate request.
type genParams struct {
	id           string // request id, reported by /_sim/stats
	taskID       int64
	model        string
	prompt       string
	promptTokens int
	maxTokens    int // < 0: until the context is full
	stop         []string
	seed         uint64
	style        stopStyle
	keepIDs      bool // keep every token id (non-streaming llama.cpp body)
	ignoreEOS    bool
}

// timings is llama-server's result_timings.
type timings struct {
	promptN     int
	promptMs    float64
	predictedN  int
	predictedMs float64
}

// tokenEvent is one generated token as the encoders see it.
type tokenEvent struct {
	emit       []byte // text sent with this token
	id         int    // token id
	n          int    // tokens generated, this one included
	slot       int    // id of the slot generating
	finish     finishKind
	stopWord   string
	truncated  bool
	hasNewLine bool
	text       []byte // the text kept so far (stop strings cut off)
	ids        []int  // every token id so far, when keepIDs
	timings    timings
}

// frameEncoder turns token events into wire bytes; head is written when the
// generation starts (nil: nothing, headers wait for the first token).
type frameEncoder interface {
	head(b []byte) []byte
	token(b []byte, ev *tokenEvent) []byte
}

// runResult is how a generation ended.
type runResult struct {
	outcome outcome
	hung    bool // hang_after stopped it
	abort   bool // drop_after could not hijack: the caller must abort the handler
	tokens  int  // tokens sent
}

// run generates p on slot sl into w. It stops when ctx is done.
func (s *Server) run(ctx context.Context, w http.ResponseWriter, p *genParams, enc frameEncoder, sl *slot, rf requestFaults) runResult {
	rc := http.NewResponseController(w)
	bp, tp := s.getBuf(), s.getBuf()
	defer func() { s.bufs.Put(bp); s.bufs.Put(tp) }()
	buf, g := (*bp)[:0], genState{text: (*tp)[:0], stop: p.stop}
	defer func() { *bp, *tp = buf[:0], g.text[:0] }()
	for _, w := range p.stop {
		g.holdback = max(g.holdback, len(w)-1)
	}

	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	pause := func(d time.Duration) bool {
		if d <= 0 {
			return ctx.Err() == nil
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-timer.C:
			return true
		case <-ctx.Done():
			return false
		}
	}

	if buf = enc.head(buf[:0]); len(buf) > 0 {
		if !send(w, rc, buf) {
			return runResult{outcome: outcomeClientClosed}
		}
	}
	start := s.cfg.now()
	if !pause(s.cfg.firstTokenDelay) {
		return runResult{outcome: outcomeClientClosed}
	}
	genStart := s.cfg.now()
	rng := newTokenRNG(p.seed, p.prompt)
	var ids []int
	ev := tokenEvent{}
	for n := 1; ; n++ {
		sent := n - 1
		if rf.dropAfter == sent {
			conn, _, err := rc.Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return runResult{outcome: outcomeDropped, abort: err != nil, tokens: sent}
		}
		if rf.hangAfter == sent {
			<-ctx.Done()
			return runResult{outcome: outcomeClientClosed, hung: true, tokens: sent}
		}
		if n > 1 && !pause(s.cfg.tokenDelay) || ctx.Err() != nil {
			return runResult{outcome: outcomeClientClosed, tokens: sent}
		}

		eos := s.cfg.eosAfter > 0 && n > s.cfg.eosAfter && !p.ignoreEOS
		ev = tokenEvent{n: n, id: eosTokenID, slot: sl.id}
		piece := ""
		if !eos {
			idx := rng.next(len(s.vocab))
			piece, ev.id = s.vocab[idx], tokenIDBase+idx
		}
		g.text = append(g.text, piece...)
		limit := p.maxTokens >= 0 && n >= max(p.maxTokens, 1)
		full := p.promptTokens+n >= s.cfg.ctx
		var word string
		if p.style == stopLlama {
			ev.emit, word = g.llamaStep(len(piece), eos)
		} else {
			ev.emit, word = g.vllmStep(len(piece), eos || limit || full)
		}
		switch {
		case word != "":
			ev.finish, ev.stopWord = finishWord, word
		case eos:
			ev.finish = finishEOS
		case limit:
			ev.finish = finishLimit
		case full:
			ev.finish, ev.truncated = finishLimit, true
		}
		g.hasNewLine = g.hasNewLine || bytes.IndexByte(ev.emit, '\n') >= 0
		ev.hasNewLine, ev.text = g.hasNewLine, g.text
		if p.keepIDs {
			ids = append(ids, ev.id)
			ev.ids = ids
		}
		if ev.finish != finishNone {
			now := s.cfg.now()
			ev.timings = timings{
				promptN: p.promptTokens, promptMs: ms(genStart.Sub(start)),
				predictedN: n, predictedMs: ms(now.Sub(genStart)),
			}
		}
		buf = enc.token(buf[:0], &ev)
		if len(buf) > 0 && !send(w, rc, buf) {
			return runResult{outcome: outcomeClientClosed, tokens: n}
		}
		sl.nDecoded.Store(int64(n))
		sl.hasNewLine.Store(g.hasNewLine)
		if p.maxTokens >= 0 {
			sl.nRemain.Store(int64(p.maxTokens - n))
		}
		if ev.finish != finishNone {
			return runResult{outcome: outcomeCompleted, tokens: n}
		}
	}
}

// ms converts d to milliseconds with microsecond resolution, as llama-server
// derives its timings from ggml_time_us; at least 1 µs, since a real engine
// never reports a zero duration (and llama-server would print a null rate).
func ms(d time.Duration) float64 { return float64(max(d.Microseconds(), 1)) / 1e3 }

// send writes b in one Write and flushes it at once.
func send(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// genState is the text of one generation and what of it was sent.
type genState struct {
	text       []byte
	sent       int
	stop       []string
	holdback   int
	hasNewLine bool
}

// llamaStep applies process_token's stop-word handling to the piece just
// appended: a full match truncates the text and ends the generation, a partial
// match at the tail holds the new text back (except on the EOS token).
func (g *genState) llamaStep(pieceLen int, eos bool) ([]byte, string) {
	pos := min(g.sent, len(g.text))
	test := g.text[pos:]
	if len(g.stop) > 0 {
		if at, word := fullStop(test, pieceLen, g.stop); at >= 0 {
			g.text = g.text[:pos+at]
			emit := g.text[pos:]
			g.sent = pos + len(emit)
			return emit, word
		}
		if !eos && partialStop(test, g.stop) {
			return nil, ""
		}
	}
	g.sent = len(g.text)
	return g.text[pos:], ""
}

// fullStop is find_stopping_strings(is_full_stop=true): the earliest match of
// a stop word, searched in the tail that the last piece could complete.
func fullStop(text []byte, pieceLen int, stop []string) (int, string) {
	best, word := -1, ""
	for _, w := range stop {
		from := max(len(text)-(len(w)+pieceLen), 0)
		if i := bytes.Index(text[from:], []byte(w)); i >= 0 && (best < 0 || from+i < best) {
			best, word = from+i, w
		}
	}
	return best, word
}

// partialStop is string_find_partial_stop: does the text end with a prefix
// of a stop word?
func partialStop(text []byte, stop []string) bool {
	if len(text) == 0 {
		return false
	}
	last := text[len(text)-1]
	for _, w := range stop {
		for i := len(w) - 1; i >= 0; i-- {
			if w[i] == last && bytes.HasSuffix(text, []byte(w[:i+1])) {
				return true
			}
		}
	}
	return false
}

// vllmStep applies vLLM's detokenizer: check_stop_strings over the new text,
// then the stop buffer that holds back max(len(stop))-1 bytes until the
// sequence is finished.
func (g *genState) vllmStep(newLen int, finished bool) ([]byte, string) {
	word := ""
	if newLen > 0 {
		for _, w := range g.stop {
			from := max(len(g.text)+1-newLen-len(w), 0)
			if i := bytes.Index(g.text[from:], []byte(w)); i >= 0 {
				g.text, word = g.text[:from+i], w
				break
			}
		}
	}
	g.sent = min(g.sent, len(g.text))
	end := len(g.text)
	if !finished && word == "" {
		end -= g.holdback
		for end > g.sent && end < len(g.text) && !utf8.RuneStart(g.text[end]) {
			end--
		}
	}
	if end <= g.sent {
		return nil, word
	}
	emit := g.text[g.sent:end]
	g.sent = end
	return emit, word
}
