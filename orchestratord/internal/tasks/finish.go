package tasks

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// finish appends the task's terminal frame and records the outcome. Exactly
// one caller wins for a task; it returns false for the others. It must not
// be called with s.mu held.
func (s *Service) finish(r *record, t terminal, state State) bool {
	now := s.now()
	s.mu.Lock()
	log := r.log
	placed := r.state == Running // a queued task ending here is already out of the queue
	from := r.firstToken
	if from.IsZero() {
		from = r.started
	}
	s.mu.Unlock()
	if log == nil {
		return false // ended and archived long ago
	}
	var decode time.Duration
	if !from.IsZero() {
		decode = now.Sub(from)
	}
	var frames int
	_, err := log.Finish(func(tokens int) (string, []byte) {
		frames = tokens
		// The session spends before the terminal frame exists, durably
		// when the store is: a client that read it and sends the next
		// turn, even to a restarted daemon, sees the spent budget.
		s.endSession(r.spec.SessionID, t.tokensOut(tokens), decode, placed)
		return t.event(), t.encode(tokens, decode)
	})
	if err != nil {
		return false
	}
	s.mu.Lock()
	wasRunning := r.state == Running
	r.state = state
	r.ended = now
	r.tokensOut = t.tokensOut(frames)
	r.errCode, r.errMessage = t.code()
	// A finished record is kept for status and idempotent re-submission
	// (events.retention_ms, up to events.max_retained of them), which need
	// neither the prompt nor the messages: dropping them bounds that memory
	// by metadata, not by prompt length.
	r.spec.Prompt, r.spec.Messages, r.spec.Stop = "", nil, nil
	r.spec.Placement, r.tried = placement.Request{}, nil
	et := s.retireLocked(r)
	e := ended{
		state: state, poolID: r.poolID, nodeID: r.nodeID, engine: r.engine,
		queueWait: now.Sub(r.created), tokens: r.tokensOut, code: string(r.errCode),
	}
	if !r.started.IsZero() {
		e.queueWait = r.started.Sub(r.created)
	}
	s.mu.Unlock()

	m := s.deps.Metrics
	if wasRunning {
		outcome := metrics.OutcomeCompleted
		switch state {
		case Canceled:
			outcome = metrics.OutcomeCanceled
		case Failed:
			outcome = metrics.OutcomeFailed
		}
		m.TaskCompleted(metricsEngine(e.engine), e.poolID, outcome)
		// frames, counted under the log's lock, says whether a token was
		// streamed: exactly the tasks that observed a first token.
		if frames > 0 {
			m.ObserveDecode(metricsEngine(e.engine), e.poolID, decode)
			e.decode = decode
		}
	}
	s.logEnded(&r.spec, e)
	s.storeTranscript(r, et)
	return true
}

// storeTranscript hands the task's full event stream to the transcript
// writer as a `trace` artifact (api.md §7). The content is built in
// canonical JSON (RFC 8785) so the store only has to verify it:
// {"format": "text/event-stream", "sse": <the SSE bytes exactly as
// streamed>, "task_id", "verbose_sse": <the verbose alternatives of
// metrics frames, as ?verbose=true readers got them>}, the last only when
// there are any. Once stored, the in-memory log is dropped; later readers,
// verbose ones too, are served from the transcript.
func (s *Service) storeTranscript(r *record, et *endedTask) {
	s.mu.Lock()
	// spec points into the record: the fields read here (id, session,
	// model, correlation) never change after admission, so no copy.
	log, spec := r.log, &r.spec
	meta := wire.TranscriptMetadata{
		Engine: wire.Engine(r.engine), EngineVersion: r.engineVersion, PoolID: r.poolID,
		NodeID: r.nodeID, ModelRef: spec.Model,
	}
	s.mu.Unlock()
	sse, vsse := log.SSE(), log.VerboseSSE()
	buf, _ := s.transcriptBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	n := len(sse) + len(vsse)
	var content artifacts.Object // canonical by construction: the store need not scan it
	content.Reset(slices.Grow((*buf)[:0], n+n/4+128))
	content.String("format", "text/event-stream")
	content.Text("sse", sse)
	content.String("task_id", spec.ID)
	if len(vsse) > 0 {
		content.Text("verbose_sse", vsse)
	}
	a, err := content.Artifact(string(wire.ArtifactTrace))
	if err != nil { // keys out of canonical order: a defect the transcript tests catch
		taskEvent(s.deps.Log.Error(), spec).Err(err).Msg("build transcript")
		return
	}
	metaJSON, _ := json.Marshal(meta)
	tags := []string{wire.TagSSE, wire.TagTaskPrefix + spec.ID}
	if spec.SessionID != "" {
		tags = append(tags, wire.TagSessionPrefix+spec.SessionID)
	}
	s.runs.Add(1)
	a.Tags, a.Metadata, a.CreatedMs = tags, metaJSON, s.now().UnixMilli()
	s.deps.Transcripts.Submit(a, func(res artifacts.PutResult) {
		defer s.runs.Done()
		*buf = a.Content[:0]
		s.transcriptBufs.Put(buf)
		if res.Err != nil {
			taskEvent(s.deps.Log.Error(), spec).Err(res.Err).Msg("store transcript")
			return
		}
		s.mu.Lock()
		et.transcriptID = res.Artifact.ID
		r.log = nil // the transcript serves late readers; free the frames
		s.mu.Unlock()
		s.deps.Events.Delete(spec.ID)
	})
}

// archived serves a finished task whose log left memory from its transcript.
func (s *Service) archived(ctx context.Context, id string) (*streaming.Log, bool) {
	s.mu.Lock()
	e, ok := s.finished[id]
	var tid string
	var ended time.Time
	if ok {
		tid, ended = e.transcriptID, e.ended
	}
	s.mu.Unlock()
	if tid == "" {
		return nil, false
	}
	a, err := s.deps.Transcripts.Get(ctx, tid)
	if err != nil {
		s.deps.Log.Warn().Err(err).Str(fieldTaskID, id).Msg("read transcript")
		return nil, false
	}
	var content struct {
		SSE        string `json:"sse"`
		VerboseSSE string `json:"verbose_sse"`
	}
	if err := json.Unmarshal(a.Content, &content); err != nil {
		return nil, false
	}
	l, err := streaming.RestoreVerbose([]byte(content.SSE), []byte(content.VerboseSSE), ended)
	if err != nil {
		s.deps.Log.Warn().Err(err).Str(fieldTaskID, id).Msg("restore transcript")
		return nil, false
	}
	return l, true
}

// forgetExpiredLocked drops records that ended more than the retention ago.
func (s *Service) forgetExpiredLocked(now time.Time) {
	n := 0
	for i, e := range s.endedFIFO {
		if now.Sub(e.ended) < s.opt.Retention && len(s.endedFIFO)-i <= s.opt.MaxRetained {
			break
		}
		// Only the task this entry names: its id may have been admitted
		// again after an earlier entry of it was forgotten.
		if f, ok := s.finished[e.id]; ok && f.ended.Equal(e.ended) {
			delete(s.finished, e.id)
			s.deps.Events.Delete(e.id)
		}
		n++
	}
	if n > 0 {
		s.endedFIFO = append(s.endedFIFO[:0], s.endedFIFO[n:]...)
	}
}

// engineMessage renders an engine failure for clients without internals.
func engineMessage(kind string, status int) string {
	if status > 0 {
		return kind + " (engine status " + strconv.Itoa(status) + ")"
	}
	return kind
}
