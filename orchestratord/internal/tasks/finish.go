package tasks

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// finish appends the task's terminal frame and records the outcome. Exactly
// one caller wins for a task; it returns false for the others. It must not
// be called with s.mu held.
func (s *Service) finish(r *record, t terminal, state State) bool {
	now := s.now()
	s.mu.Lock()
	log := r.log
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
	eng, pool, hadFirst := metricsEngine(r.engine), r.poolID, !r.firstToken.IsZero()
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
		m.TaskCompleted(eng, pool, outcome)
		if hadFirst {
			m.ObserveDecode(eng, pool, decode)
		}
	}
	s.deps.Log.Info().Str("task_id", r.spec.ID).Str("session_id", r.spec.SessionID).
		Str("pool_id", r.poolID).Str("node_id", r.nodeID).Str("state", string(state)).
		Int("tokens_out", r.tokensOut).Str("code", string(r.errCode)).Msg("task ended")
	s.storeTranscript(r)
	return true
}

// storeTranscript writes the task's full event stream as a `trace` artifact
// (api.md §7) in the background. The content is built in canonical JSON
// (RFC 8785) so the store only has to verify it: {"format":
// "text/event-stream", "sse": <the SSE bytes exactly as streamed>, "task_id"}.
// Once stored, the in-memory log is dropped; later readers are served from
// the transcript.
func (s *Service) storeTranscript(r *record) {
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		s.mu.Lock()
		log, spec := r.log, r.spec
		meta := wire.TranscriptMetadata{
			Engine: wire.Engine(r.engine), EngineVersion: r.engineVersion, PoolID: r.poolID,
			NodeID: r.nodeID, ModelRef: spec.Model,
		}
		s.mu.Unlock()
		sse, _, _ := log.ReadFrom(0, false, nil)
		content := make([]byte, 0, len(sse)+len(sse)/4+96)
		content = append(content, `{"format":"text/event-stream","sse":`...)
		content = artifacts.AppendString(content, string(sse))
		content = append(content, `,"task_id":`...)
		content = artifacts.AppendString(content, spec.ID)
		content = append(content, '}')
		metaJSON, _ := json.Marshal(meta)
		tags := []string{wire.TagSSE, wire.TagTaskPrefix + spec.ID}
		if spec.SessionID != "" {
			tags = append(tags, wire.TagSessionPrefix+spec.SessionID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		a, _, err := s.deps.Transcripts.Put(ctx, artifacts.Artifact{
			Kind: string(wire.ArtifactTrace), Content: content, Tags: tags, Metadata: metaJSON,
			CreatedMs: s.now().UnixMilli(),
		})
		if err != nil {
			s.deps.Log.Error().Err(err).Str("task_id", spec.ID).Msg("store transcript")
			return
		}
		s.mu.Lock()
		r.transcriptID = a.ID
		r.log = nil // the transcript serves late readers; free the frames
		s.mu.Unlock()
		s.deps.Events.Delete(spec.ID)
	}()
}

// archived serves a finished task whose log left memory from its transcript.
func (s *Service) archived(ctx context.Context, id string) (*streaming.Log, bool) {
	s.mu.Lock()
	r, ok := s.tasks[id]
	var tid string
	var ended time.Time
	if ok {
		tid, ended = r.transcriptID, r.ended
	}
	s.mu.Unlock()
	if tid == "" {
		return nil, false
	}
	a, err := s.deps.Transcripts.Get(ctx, tid)
	if err != nil {
		s.deps.Log.Warn().Err(err).Str("task_id", id).Msg("read transcript")
		return nil, false
	}
	var content struct {
		SSE string `json:"sse"`
	}
	if err := json.Unmarshal(a.Content, &content); err != nil {
		return nil, false
	}
	l, err := streaming.Restore([]byte(content.SSE), ended)
	if err != nil {
		s.deps.Log.Warn().Err(err).Str("task_id", id).Msg("restore transcript")
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
		delete(s.tasks, e.id)
		s.deps.Events.Delete(e.id)
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
