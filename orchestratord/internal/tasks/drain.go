package tasks

import (
	"slices"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/metrics"
)

// What pool control (drain, reload, health) needs from the task service.

// CancelOnPool ends every task running on poolID with `end` {"canceled":
// true, "finish_reason": "drain"} (api.md §5: a drain's deadline passed) and
// aborts their engine requests. Queued tasks are left alone: placement no
// longer picks a drained pool, so they start elsewhere or wait. It returns
// how many tasks it ended.
func (s *Service) CancelOnPool(poolID string) int {
	s.mu.Lock()
	var ids []string
	for id, r := range s.tasks {
		if r.state == Running && r.poolID == poolID {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, id := range ids {
		s.mu.Lock()
		r := s.tasks[id]
		still := r != nil && r.state == Running && r.poolID == poolID
		s.mu.Unlock()
		if !still {
			continue // it ended, or was retried on another pool, meanwhile
		}
		if s.cancelRunning(r, wire.FinishDrain, metrics.CancelDrain) {
			n++
		}
	}
	return n
}

// cancelRunning ends a running task with a canceled end frame and aborts
// its engine request; it reports whether this call ended it.
func (s *Service) cancelRunning(r *record, reason wire.FinishReason, metric metrics.CancelReason) bool {
	s.mu.Lock()
	abort := r.cancel
	s.mu.Unlock()
	ended := s.finish(r, endFrame(reason, true, 0), Canceled)
	if ended {
		s.deps.Metrics.TaskCanceled(metric)
	}
	if abort != nil {
		abort()
	}
	return ended
}

// QueuedFor counts the queued tasks a pool serving models with engine could
// run: the pool's share of the queue in its health (queue_depth).
func (s *Service) QueuedFor(engine string, models []string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	s.queue.Scan(func(_ int, e admissionEntry) bool {
		sp := &e.Value.spec
		if (sp.Engine == "" || sp.Engine == engine) && slices.Contains(models, sp.Model) {
			n++
		}
		return true
	})
	return n
}

// TokensPerS is a pool's measured decode throughput (moving average over
// its finished tasks), 0 before any.
func (s *Service) TokensPerS(poolID string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp := s.stats.byPool[poolID]; sp != nil {
		return sp.tokensPerS
	}
	return 0
}
