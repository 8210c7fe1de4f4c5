package tasks

import (
	"errors"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Submit admits a validated task (api.md §3): idempotent on a client task
// id, checked for feasibility and deadline against what was measured, queued
// under the configured policy, and started at once when a pool has a free
// slot. Both /v2/tasks and the OpenAI surface come through here.
func (s *Service) Submit(spec Spec) (Admission, error) {
	now := s.now()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return Admission{}, errShuttingDown
	}
	if spec.ID != "" {
		if r, ok := s.tasks[spec.ID]; ok {
			defer s.mu.Unlock()
			if r.spec.Digest != spec.Digest {
				return Admission{}, problem.New(wire.CodeConflict, "task_id %s was already used with a different body", spec.ID)
			}
			return s.admissionLocked(r, -1), nil
		}
		if e, ok := s.finished[spec.ID]; ok {
			defer s.mu.Unlock()
			if e.digest != spec.Digest {
				return Admission{}, problem.New(wire.CodeConflict, "task_id %s was already used with a different body", spec.ID)
			}
			return s.endedAdmissionLocked(e), nil
		}
	} else {
		spec.ID = s.deps.NewID()
	}
	// The catalog gate, under the lock: a retirement either sees this task
	// queued or this check sees the model Retired (see EndQueued).
	if err := s.admitModel(spec); err != nil {
		s.mu.Unlock()
		return Admission{}, s.reject(err)
	}
	if err := s.checkSession(spec.SessionID); err != nil {
		s.mu.Unlock()
		return Admission{}, s.reject(err)
	}
	pools := s.refreshPoolsLocked()
	req := s.placementRequest(&record{spec: spec})
	if err := s.deps.Placer.Feasible(req, pools); err != nil {
		s.mu.Unlock()
		return Admission{}, s.reject(infeasible(err, spec))
	}
	if err := s.checkDeadlineLocked(spec, pools); err != nil {
		s.mu.Unlock()
		return Admission{}, s.reject(err)
	}
	log, err := s.deps.Events.Create(spec.ID)
	if errors.Is(err, streaming.ErrExists) {
		s.mu.Unlock()
		return Admission{}, problem.New(wire.CodeConflict, "task_id %s was already used", spec.ID)
	} else if err != nil {
		s.mu.Unlock()
		return Admission{}, err
	}
	r := &record{spec: spec, state: Queued, log: log, created: now, lastPos: -1}
	victim, evicted, err := s.queue.Push(spec.ID, spec.Priority, r)
	if err != nil {
		backoff := s.queue.Backoff()
		s.mu.Unlock()
		s.deps.Events.Delete(spec.ID)
		return Admission{}, s.reject(queueRejection(err, backoff))
	}
	s.tasks[spec.ID] = r
	s.beginSession(spec.SessionID)
	if spec.Deadline > 0 {
		r.due = now.Add(spec.Deadline)
		id := spec.ID
		r.deadline = time.AfterFunc(spec.Deadline, func() { s.expire(id) })
	}
	if evicted {
		s.unqueueLocked(victim.Value)
		s.deps.Metrics.BackpressureEvent(metricsPolicy(admission.DropLRU))
	}
	s.deps.Metrics.TaskEnqueued(metricsEngine(anyEngine(spec.Engine)), metricsPriority(spec.Priority))
	s.setQueueDepthLocked()
	s.logQueued(&spec, s.lastPositionLocked(spec.Priority))
	starts, dead := s.dispatchLocked(false)
	pos := s.lastPositionLocked(spec.Priority)
	adm := s.admissionLocked(r, pos)
	r.lastPos = adm.QueuePosition
	// The started frame goes first, before any run can append a token
	// (runs start after the lock is released) or a position update.
	// The log copies the frame, so it is encoded on the stack.
	var frame [128]byte
	_, _ = log.Append(wire.EventStarted, appendStartedFrame(frame[:0], adm.QueuePosition, adm.PredictedStart, adm.PoolID, adm.Engine))
	r.opened = true
	s.mu.Unlock()

	s.launch(starts)
	s.failUnplaceable(dead)
	if evicted {
		if s.finish(victim.Value, errorFrame(wire.CodeQueueFullDropLRU, "evicted from the full queue by a newer task", ""), Failed) {
			s.deps.Metrics.TaskCanceled(cancelEvicted)
		}
	}
	return adm, nil
}

// lastPositionLocked is the queue position of the task enqueued last with
// priority p: a new task is last of its priority, so its place needs no
// queue walk.
func (s *Service) lastPositionLocked(p admission.Priority) int {
	if p == admission.Batch {
		return s.queue.Len() - 1
	}
	return s.queue.LenPriority(admission.Interactive) - 1
}

// admissionLocked describes where a task stands now; pos is its queue
// position when the caller knows it, else -1.
func (s *Service) admissionLocked(r *record, pos int) Admission {
	a := Admission{ID: r.spec.ID, SessionID: r.spec.SessionID, Budget: s.sessionBudget(r.spec.SessionID)}
	switch r.state {
	case Queued:
		if pos < 0 {
			pos, _ = s.queue.Position(r.spec.ID)
		}
		a.QueuePosition = pos
		a.PredictedStart = s.queue.EstimateWait(pos)
		a.Backoff = s.queue.Backoff()
	default:
		a.PoolID, a.Engine = r.poolID, r.engine
	}
	return a
}

// checkDeadlineLocked refuses a deadline that the measured queue drain and
// pool speed say cannot be met.
func (s *Service) checkDeadlineLocked(spec Spec, pools []placement.Pool) error {
	if spec.Deadline == 0 {
		return nil
	}
	if spec.Deadline < 0 {
		return problem.New(wire.CodeDeadlineUnmet, "deadline_ms must be greater than 0")
	}
	// Only what was measured counts: with no drain rate or pool speed
	// measured yet, nothing speaks against the deadline.
	wait := time.Duration(0)
	if free := s.freeSlotsFor(spec, pools); free == 0 && s.queue.DrainRate() > 0 {
		wait = s.queue.EstimateWait(s.queue.Len())
	}
	ids := make([]string, 0, 4)
	for i := range pools {
		if hasModel(pools[i].Models, spec.Model) {
			ids = append(ids, pools[i].ID)
		}
	}
	tokens := spec.ExpectedTokens
	run, measured := s.stats.runTime(ids, tokens)
	if !measured {
		run = 0
	}
	if wait+run > spec.Deadline {
		return problem.New(wire.CodeDeadlineUnmet, "deadline of %d ms cannot be met: expected start in %d ms and %d ms to run",
			spec.Deadline.Milliseconds(), wait.Milliseconds(), run.Milliseconds())
	}
	return nil
}

// freeSlotsFor counts free slots on ready pools that have the model.
func (s *Service) freeSlotsFor(spec Spec, pools []placement.Pool) int {
	n := 0
	for i := range pools {
		p := &pools[i]
		if p.Online && p.Ready && !p.Draining && hasModel(p.Models, spec.Model) && (spec.Engine == "" || spec.Engine == p.Engine) {
			n += p.SlotsFree
		}
	}
	return n
}

func hasModel(models []string, m string) bool {
	for _, x := range models {
		if x == m {
			return true
		}
	}
	return false
}

// expire ends a queued task whose deadline passed.
func (s *Service) expire(id string) {
	s.mu.Lock()
	r, ok := s.tasks[id]
	if !ok || r.state != Queued {
		s.mu.Unlock()
		return
	}
	s.unqueueLocked(r)
	s.mu.Unlock()
	if s.finish(r, errorFrame(wire.CodeDeadlineUnmet, "the deadline passed while the task was queued", ""), Failed) {
		s.deps.Metrics.TaskCanceled(cancelDeadline)
	}
}

// reject counts a refused admission and returns the error.
func (s *Service) reject(err error) error {
	if p, ok := problem.As(err); ok {
		s.deps.Metrics.TaskRejected(rejectReason(p.Code))
		if p.Policy != "" {
			s.deps.Metrics.BackpressureEvent(policyLabel(p.Policy))
		}
	}
	return err
}

func infeasible(err error, spec Spec) error {
	if errors.Is(err, placement.ErrCtxTooLarge) {
		return problem.Invalid("ctx", "%d exceeds the ctx_max of every pool that serves %s", spec.Ctx, spec.Model)
	}
	if spec.Engine != "" {
		return &problem.Error{Code: wire.CodePoolUnavailable, Message: "no registered " + spec.Engine + " pool serves model " + spec.Model, Err: err}
	}
	return &problem.Error{Code: wire.CodePoolUnavailable, Message: "no registered pool serves model " + spec.Model, Err: err}
}

func queueRejection(err error, backoff time.Duration) error {
	if errors.Is(err, admission.ErrNoVictim) {
		return problem.Rejected(wire.CodeQueueFullDropLRU, wire.PolicyDropLRU, backoff, "queue full and no task of equal or lower priority to evict")
	}
	return problem.Rejected(wire.CodeAdmissionReject, wire.PolicyReject, backoff, "queue full")
}

func anyEngine(e string) string {
	if e == "" {
		return "any"
	}
	return e
}
