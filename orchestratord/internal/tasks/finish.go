package tasks

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/metrics"
)

// finish appends the task's terminal frame and records the outcome. Exactly
// one caller wins for a task; it returns false for the others. It must not
// be called with s.mu held.
func (s *Service) finish(r *record, t terminal, state State) bool {
	now := s.now()
	s.mu.Lock()
	from := r.firstToken
	if from.IsZero() {
		from = r.started
	}
	s.mu.Unlock()
	var decode time.Duration
	if !from.IsZero() {
		decode = now.Sub(from)
	}
	var frames int
	_, err := r.log.Finish(func(tokens int) (string, []byte) {
		frames = tokens
		return t.event(), t.encode(tokens, decode)
	})
	if err != nil {
		return false
	}
	s.mu.Lock()
	wasRunning := r.state == Running
	r.state = state
	r.ended = now
	r.tokensOut = frames
	if t.tokens > 0 {
		r.tokensOut = t.tokens
	}
	r.errCode, r.errMessage = t.code()
	s.endedFIFO = append(s.endedFIFO, endedRef{id: r.spec.ID, ended: now})
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
		m.TaskCompleted(metricsEngine(r.engine), r.poolID, outcome)
		if !r.firstToken.IsZero() {
			m.ObserveDecode(metricsEngine(r.engine), r.poolID, decode)
		}
	}
	s.deps.Log.Info().Str("task_id", r.spec.ID).Str("session_id", r.spec.SessionID).
		Str("pool_id", r.poolID).Str("node_id", r.nodeID).Str("state", string(state)).
		Int("tokens_out", r.tokensOut).Str("code", string(r.errCode)).Msg("task ended")
	s.storeTranscript(r)
	return true
}

// transcriptFrame is one frame of a stored transcript.
type transcriptFrame struct {
	ID    uint64          `json:"id"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

// storeTranscript writes the task's full event transcript as a `trace`
// artifact (api.md §7) in the background; the task status names it once
// stored.
func (s *Service) storeTranscript(r *record) {
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		frames := r.log.Frames(0)
		tf := make([]transcriptFrame, len(frames))
		for i, f := range frames {
			tf[i] = transcriptFrame{ID: f.Seq, Event: f.Event, Data: f.Data}
		}
		s.mu.Lock()
		spec := r.spec
		meta := map[string]string{
			"engine": r.engine, "engine_version": r.engineVersion, "pool_id": r.poolID,
			"node_id": r.nodeID, "model_ref": spec.Model,
		}
		s.mu.Unlock()
		content, err := json.Marshal(struct {
			TaskID string            `json:"task_id"`
			Frames []transcriptFrame `json:"frames"`
		}{spec.ID, tf})
		if err != nil {
			s.deps.Log.Error().Err(err).Str("task_id", spec.ID).Msg("encode transcript")
			return
		}
		metaJSON, _ := json.Marshal(meta)
		tags := []string{"sse", "task:" + spec.ID}
		if spec.SessionID != "" {
			tags = append(tags, "session:"+spec.SessionID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, _, err := s.deps.Transcripts.Put(ctx, artifacts.Artifact{
			Kind: "trace", Content: content, Tags: tags, Metadata: metaJSON,
			CreatedMs: s.now().UnixMilli(),
		})
		if err != nil {
			s.deps.Log.Error().Err(err).Str("task_id", spec.ID).Msg("store transcript")
			return
		}
		s.mu.Lock()
		r.transcriptID = a.ID
		s.mu.Unlock()
	}()
}

// forgetExpiredLocked drops records that ended more than the retention ago.
func (s *Service) forgetExpiredLocked(now time.Time) {
	n := 0
	for _, e := range s.endedFIFO {
		if now.Sub(e.ended) < s.opt.Retention {
			break
		}
		delete(s.tasks, e.id)
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
