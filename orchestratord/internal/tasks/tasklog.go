package tasks

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
)

// Log fields of the task lines. Every line about a task names the task, its
// session and the correlation id of the request that submitted it (api.md
// §2, §8); none carries prompt or output text.
const (
	fieldTaskID      = "task_id"
	fieldSessionID   = "session_id"
	fieldPoolID      = "pool_id"
	fieldNodeID      = "node_id"
	fieldEngine      = "engine"
	fieldModel       = "model_ref"
	fieldPriority    = "priority"
	fieldState       = "state"
	fieldQueuePos    = "queue_position"
	fieldQueueWaitMs = "queue_wait_ms"
	fieldDecodeMs    = "decode_ms"
	fieldTokensOut   = "tokens_out"
	fieldCode        = "code"
	fieldAttempt     = "attempt"
	fieldError       = "error"
)

// taskEvent adds the fields that identify a task to ev.
func taskEvent(ev *zerolog.Event, spec *Spec) *zerolog.Event {
	ev = ev.Str(fieldTaskID, spec.ID)
	if spec.CorrelationID != "" {
		ev = ev.Str(correlation.Field, spec.CorrelationID)
	}
	if spec.SessionID != "" {
		ev = ev.Str(fieldSessionID, spec.SessionID)
	}
	return ev
}

func priorityName(spec *Spec) string { return string(metricsPriority(spec.Priority)) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// logQueued is the line of an admitted task; pos is its place when it
// joined the queue.
func (s *Service) logQueued(spec *Spec, pos int) {
	taskEvent(s.deps.Log.Info(), spec).Str(fieldState, string(Queued)).Str(fieldModel, spec.Model).
		Str(fieldEngine, anyEngine(spec.Engine)).Str(fieldPriority, priorityName(spec)).
		Int(fieldQueuePos, pos).Msg("task queued")
}

// logStartedLocked is the line of a task placed on a pool.
func (s *Service) logStartedLocked(r *record, wait time.Duration) {
	taskEvent(s.deps.Log.Info(), &r.spec).Str(fieldState, string(Running)).Str(fieldPoolID, r.poolID).
		Str(fieldNodeID, r.nodeID).Str(fieldEngine, r.engine).Str(fieldPriority, priorityName(&r.spec)).
		Float64(fieldQueueWaitMs, ms(wait)).Msg("task started")
}

// ended is what the line of a finished task reports.
type ended struct {
	state          State
	poolID, nodeID string
	engine         string
	queueWait      time.Duration
	decode         time.Duration
	tokens         int
	code           string
}

// logEnded is the line of a task that reached a terminal state.
func (s *Service) logEnded(spec *Spec, e ended) {
	ev := taskEvent(s.deps.Log.Info(), spec).Str(fieldState, string(e.state)).Str(fieldPoolID, e.poolID).
		Str(fieldNodeID, e.nodeID).Str(fieldEngine, e.engine).Float64(fieldQueueWaitMs, ms(e.queueWait)).
		Float64(fieldDecodeMs, ms(e.decode)).Int(fieldTokensOut, e.tokens)
	if e.code != "" {
		ev = ev.Str(fieldCode, e.code)
	}
	ev.Msg("task ended")
}
