package tasks

import (
	"context"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"

	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// State of a task (api.md §3).
type State string

// Task states.
const (
	Queued    State = "queued"
	Running   State = "running"
	Completed State = "completed"
	Canceled  State = "canceled"
	Failed    State = "failed"
)

// Spec is a validated task, whichever surface it came from (/v2 or /v1).
type Spec struct {
	ID             string
	SessionID      string
	Model          string
	Engine         string // "" = any
	Prompt         string
	Messages       []engine.Message
	MaxTokens      int
	Ctx            int
	Priority       admission.Priority
	Deadline       time.Duration // 0 = none
	Seed           *int64
	Temperature    *float64
	TopP           *float64
	Stop           []string
	ExpectedTokens int
	Placement      placement.Request // Model, Engine and affinity are filled by the service
	KVReuse        bool
	Strict         bool
	TrustStrict    bool // X-Trust-Policy: strict (api.md §2): only models with a verified digest
	// Digest identifies the request body for idempotent re-submission;
	// zero when the client did not name the task.
	Digest [32]byte
	// CorrelationID is the submitting request's (api.md §2), for the
	// task's log lines.
	CorrelationID string
}

// record is the admission record of one task: everything the queue and the
// slot leases can be rebuilt from. Guarded by Service.mu.
type record struct {
	spec  Spec
	state State
	log   *streaming.Log

	poolID, nodeID, engine, engineVersion string
	created, started, firstToken, ended   time.Time
	tokensOut                             int
	promptTokens                          int // the engine's count, 0 when unknown
	errCode                               wire.ErrorCode
	errMessage                            string

	tried    []string // pools that failed before the first token
	attempts int

	runCtx   context.Context    // running: the engine request's context
	cancel   context.CancelFunc // running: aborts the engine request
	due      time.Time          // deadline, zero when none
	deadline *time.Timer        // queued with a deadline
	lastPos  int                // last queue position announced in a metrics frame
	opened   bool               // the started frame is written: later frames may follow
}

// Status is the task view of GET /v2/tasks/{id}.
type Status struct {
	ID, SessionID, Model, Engine, PoolID, NodeID string
	State                                        State
	QueuePosition                                int // -1 when not queued
	TokensOut                                    int
	Created, Started, Ended                      time.Time
	ErrCode                                      wire.ErrorCode
	ErrMessage                                   string
	TranscriptID                                 string
}

// Admission is the outcome of a successful admit.
type Admission struct {
	ID             string
	SessionID      string
	QueuePosition  int
	PredictedStart time.Duration
	Backoff        time.Duration
	PoolID, Engine string
	Budget         wire.Budget // the session's budgets left (X-Budget-* headers)
}
