// Package tasks is the daemon's task service: admission into the bounded
// queue, dispatch onto pools through placement, the run loop that relays an
// engine's stream into the task's event log, cancel, and the transcript.
// It consumes its collaborators through the ports in ports.go.
package tasks

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Options are the service's tunables (api.md §10).
type Options struct {
	QueueCapacity int
	QueuePolicy   admission.Policy
	Retries       int
	TokenTimeout  time.Duration
	Retention     time.Duration // finished records are forgotten after this
	MaxTokens     int           // upper bound of max_tokens
	MaxRetained   int           // finished records kept at most (oldest forgotten first)
}

// Deps are the service's collaborators.
type Deps struct {
	Events      EventStore
	Pools       PoolSource
	Engines     Engines
	Transcripts Transcripts
	Metrics     *metrics.Metrics
	Log         zerolog.Logger
	Now         func() time.Time
	NewID       func() string
	Placer      *placement.Placer
	// Sessions is optional: without it, sessions have the default TTL and
	// no budgets.
	Sessions Sessions
	Models   ModelGate // optional: without it every model passes the catalog gate
}

// Service admits, dispatches, streams and cancels tasks.
type Service struct {
	opt  Options
	deps Deps
	now  func() time.Time

	mu    sync.Mutex
	tasks map[string]*record // queued and running
	// finished holds the tasks that ended less than the retention ago.
	finished map[string]*endedTask
	queue    *admission.Queue[*record]
	leases   map[string]int // pool id → slots held
	stats    poolStats
	pools    poolCache
	closing  bool
	// scannedVersion is the registry version of the last full queue scan.
	scannedVersion uint64
	endedFIFO      []endedRef // finished tasks in end order, for retention
	gauges         poolGauges // pools with published series

	wake chan struct{}
	// transcriptBufs recycles the buffers transcripts are built in: the
	// store copies a document before its Submit callback runs, so the
	// buffer is free again then.
	transcriptBufs sync.Pool
	runs           sync.WaitGroup // run goroutines and transcript writes
	loopCtx        context.Context
	stop           context.CancelFunc
	loopWG         sync.WaitGroup
}

type endedRef struct {
	id    string
	ended time.Time
}

// New validates deps and returns a stopped service; call Start.
func New(opt Options, deps Deps) (*Service, error) {
	switch {
	case deps.Events == nil, deps.Pools == nil, deps.Engines == nil, deps.Transcripts == nil:
		return nil, errors.New("tasks: events, pools, engines and transcripts are required")
	case deps.Metrics == nil:
		return nil, errors.New("tasks: metrics are required")
	case deps.Placer == nil:
		return nil, errors.New("tasks: placer is required")
	case deps.NewID == nil:
		return nil, errors.New("tasks: id source is required")
	case opt.MaxRetained < 1:
		return nil, errors.New("tasks: max retained must be at least 1")
	case opt.QueueCapacity < 1:
		return nil, errors.New("tasks: queue capacity must be at least 1")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Sessions == nil {
		store, err := defaultSessions(deps.Now)
		if err != nil {
			return nil, err
		}
		deps.Sessions = store
	}
	s := &Service{
		opt:      opt,
		deps:     deps,
		now:      deps.Now,
		tasks:    map[string]*record{},
		finished: map[string]*endedTask{},
		queue:    admission.New[*record](opt.QueueCapacity, opt.QueuePolicy, admission.WithClock(deps.Now)),
		leases:   map[string]int{},
		stats:    newPoolStats(),
		wake:     make(chan struct{}, 1),
	}
	return s, nil
}

// Start runs the dispatcher until Shutdown.
func (s *Service) Start() {
	s.loopCtx, s.stop = context.WithCancel(context.Background())
	events, unsubscribe := s.deps.Pools.Subscribe()
	s.mu.Lock()
	s.syncPoolsLocked() // the pool series exist before the first event
	s.mu.Unlock()
	s.loopWG.Add(1)
	go func() {
		defer s.loopWG.Done()
		defer unsubscribe()
		s.dispatchLoop(s.loopCtx, events)
	}()
}

// Log returns the event log of a task: the live one, or for a finished
// task whose log left memory, one restored from its transcript.
func (s *Service) Log(ctx context.Context, id string) (*streaming.Log, error) {
	if l, ok := s.deps.Events.Get(id); ok {
		return l, nil
	}
	if l, ok := s.archived(ctx, id); ok {
		return l, nil
	}
	return nil, problem.New(wire.CodeNotFound, "task %s not found", id)
}

// status reports a task.
func (s *Service) status(id string) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tasks[id]
	if !ok {
		if e, ok := s.finished[id]; ok {
			return e.status(), nil
		}
		return Status{}, problem.New(wire.CodeNotFound, "task %s not found", id)
	}
	st := Status{
		ID: id, SessionID: r.spec.SessionID, Model: r.spec.Model, Engine: r.engine,
		PoolID: r.poolID, NodeID: r.nodeID, State: r.state, QueuePosition: -1,
		TokensOut: r.tokensOut, Created: r.created, Started: r.started, Ended: r.ended,
		ErrCode: r.errCode, ErrMessage: r.errMessage,
	}
	if st.Engine == "" {
		st.Engine = r.spec.Engine
	}
	if r.state == Queued {
		st.QueuePosition, _ = s.queue.Position(id)
	}
	if r.state == Running {
		st.TokensOut = r.log.Tokens()
	}
	return st, nil
}

// cancel ends a task: a queued one leaves the queue, a running one has its
// engine request aborted. The terminal frame is appended before cancel
// returns, so no token frame follows a 204 sent after it. Idempotent.
func (s *Service) cancel(id string, finishReason wire.FinishReason, reason metrics.CancelReason) error {
	s.mu.Lock()
	r, ok := s.tasks[id]
	if !ok {
		_, ended := s.finished[id]
		s.mu.Unlock()
		if ended {
			return nil // idempotent: it has ended already
		}
		return problem.New(wire.CodeNotFound, "task %s not found", id)
	}
	state := r.state
	if state == Queued {
		s.unqueueLocked(r)
	}
	abort := r.cancel
	s.mu.Unlock()
	switch state {
	case Queued, Running:
		if s.finish(r, endFrame(finishReason, true, 0), Canceled) {
			s.deps.Metrics.TaskCanceled(reason)
		}
		if abort != nil {
			abort()
		}
	}
	return nil
}

// unqueueLocked takes a queued task out of the queue for good.
func (s *Service) unqueueLocked(r *record) {
	s.queue.Remove(r.spec.ID)
	if r.deadline != nil {
		r.deadline.Stop()
	}
	s.deps.Metrics.SetQueueDepth(metricsPriority(r.spec.Priority), s.queue.LenPriority(r.spec.Priority))
}

// wakeDispatcher asks the dispatcher for a pass; it never blocks.
func (s *Service) wakeDispatcher() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Leases is how many slots of a pool the service holds now.
func (s *Service) Leases(poolID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leases[poolID]
}

// Draining reports whether the service has stopped admitting.
func (s *Service) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}
