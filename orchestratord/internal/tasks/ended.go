package tasks

import (
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// endedTask is what a finished task keeps for the retention period
// (events.retention_ms, at most events.max_retained of them): its status,
// what an idempotent re-submission compares and answers, its session for
// the budget headers, the engine's prompt count for OpenAI usage, and its
// transcript. The spec, the run state and the queue state of the live
// record are gone, so that a retained task costs a third of a live one.
type endedTask struct {
	id, sessionID, model    string
	engine, askedEngine     string // placed on; asked for ("" = any)
	poolID, nodeID          string
	state                   State
	tokensOut, promptTokens int
	created, started, ended time.Time
	errCode                 wire.ErrorCode
	errMessage              string
	transcriptID            string
	digest                  [32]byte
}

// endedOf takes the record of a task that has just finished. s.mu is held.
func endedOf(r *record) *endedTask {
	return &endedTask{
		id: r.spec.ID, sessionID: r.spec.SessionID, model: r.spec.Model, engine: r.engine, askedEngine: r.spec.Engine,
		poolID: r.poolID, nodeID: r.nodeID, state: r.state,
		tokensOut: r.tokensOut, promptTokens: r.promptTokens,
		created: r.created, started: r.started, ended: r.ended,
		errCode: r.errCode, errMessage: r.errMessage, digest: r.spec.Digest,
	}
}

// retire moves a record that has just finished from the live tasks to the
// finished ones. s.mu is held.
func (s *Service) retireLocked(r *record) *endedTask {
	e := endedOf(r)
	if s.tasks[e.id] == r {
		delete(s.tasks, e.id)
	}
	s.finished[e.id] = e
	s.endedFIFO = append(s.endedFIFO, endedRef{id: e.id, ended: e.ended})
	return e
}

// status reports the finished task.
func (e *endedTask) status() Status {
	engine := e.engine
	if engine == "" {
		engine = e.askedEngine
	}
	return Status{
		ID: e.id, SessionID: e.sessionID, Model: e.model, Engine: engine,
		PoolID: e.poolID, NodeID: e.nodeID, State: e.state, QueuePosition: -1,
		TokensOut: e.tokensOut, Created: e.created, Started: e.started, Ended: e.ended,
		ErrCode: e.errCode, ErrMessage: e.errMessage, TranscriptID: e.transcriptID,
	}
}

// endedAdmissionLocked is the answer to a re-submission of the finished task.
func (s *Service) endedAdmissionLocked(e *endedTask) Admission {
	return Admission{ID: e.id, SessionID: e.sessionID, Budget: s.sessionBudget(e.sessionID),
		PoolID: e.poolID, Engine: e.engine}
}
