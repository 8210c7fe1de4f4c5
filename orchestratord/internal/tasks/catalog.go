package tasks

import (
	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/metrics"
)

// The catalog's side of the task service (api.md §6): the admission gate and
// the end of a retired model's tasks.

// admitModel asks the catalog gate about a new task; call it with s.mu held.
func (s *Service) admitModel(spec Spec) error {
	if s.deps.Models == nil {
		return nil
	}
	return s.deps.Models.AdmitModel(spec.Model, spec.TrustStrict)
}

// EndQueued ends every queued task of model, which was just retired: each
// stream ends with an `error` frame POOL_UNAVAILABLE saying so. Running
// tasks are left to CancelRunning. It returns how many tasks it ended.
//
// The gate refuses the model before EndQueued is called, and Submit asks the
// gate under the same lock EndQueued scans under, so no task of the model is
// queued after EndQueued returns.
func (s *Service) EndQueued(model string) int {
	s.mu.Lock()
	var queued []*record
	s.queue.Scan(func(_ int, e admissionEntry) bool {
		if e.Value.spec.Model == model {
			queued = append(queued, e.Value)
		}
		return true
	})
	for _, r := range queued {
		s.unqueueLocked(r)
	}
	s.mu.Unlock()
	n := 0
	for _, r := range queued {
		if s.finish(r, errorFrame(wire.CodePoolUnavailable, "model "+model+" was retired", ""), Failed) {
			s.deps.Metrics.TaskCanceled(metrics.CancelRetired)
			n++
		}
	}
	return n
}

// CancelRunning ends every running task of model, whose retirement deadline
// passed: like a cancel, the engine request is aborted and the stream ends
// with `end` {"canceled": true, "finish_reason": "retired"}. It returns how
// many running tasks it found.
func (s *Service) CancelRunning(model string) int {
	s.mu.Lock()
	var ids []string
	for id, r := range s.tasks {
		if r.state == Running && r.spec.Model == model {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, id := range ids {
		if s.cancel(id, wire.FinishRetired, metrics.CancelRetired) == nil {
			n++
		}
	}
	return n
}
