package tasks

import (
	"time"
)

// requeueLocked puts a task whose engine failed before the first token back
// into the queue when no other pool has a free slot now (every pool busy,
// or the pools able to serve it are still leaving placement, as a node that
// was just killed): it starts again as soon as a slot frees, instead of
// failing. It reports false, leaving the task to fail, when the queue is
// full. The lease was released by the caller.
func (s *Service) requeueLocked(r *record) bool {
	if s.queue.Len() >= s.queue.Capacity() {
		return false
	}
	if _, _, err := s.queue.Push(r.spec.ID, r.spec.Priority, r); err != nil {
		return false
	}
	if r.cancel != nil {
		r.cancel()
	}
	r.state, r.poolID, r.nodeID, r.runCtx, r.cancel = Queued, "", "", nil, nil
	if !r.due.IsZero() {
		id := r.spec.ID
		r.deadline = time.AfterFunc(max(r.due.Sub(s.now()), 0), func() { s.expire(id) })
	}
	s.setQueueDepthLocked()
	s.wakeDispatcher()
	return true
}

// requeued reports whether retry put the task back into the queue.
func (s *Service) requeued(r *record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.state == Queued
}
