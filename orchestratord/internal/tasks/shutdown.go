package tasks

import (
	"context"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Shutdown stops admitting (Submit then fails with 503), ends queued tasks,
// lets running tasks finish until ctx is done, then ends the rest with
// `end` {"canceled": true, "finish_reason": "shutdown"} (api.md §10). It
// returns once every run goroutine and transcript write has returned.
func (s *Service) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.closing = true
	var queued []*record
	s.queue.Scan(func(_ int, e admissionEntry) bool {
		queued = append(queued, e.Value)
		return true
	})
	for _, r := range queued {
		s.unqueueLocked(r)
	}
	s.mu.Unlock()
	for _, r := range queued {
		if s.finish(r, endFrame(wire.FinishShutdown, true, 0), Canceled) {
			s.deps.Metrics.TaskCanceled(cancelShutdown)
		}
	}
	if !s.waitRunning(ctx) {
		for _, id := range s.runningIDs() {
			_ = s.cancel(id, wire.FinishShutdown, cancelShutdown)
		}
	}
	if s.stop != nil {
		s.stop()
		s.loopWG.Wait()
	}
	s.runs.Wait()
}

// waitRunning polls until no task runs or ctx is done; it reports whether
// all finished.
func (s *Service) waitRunning(ctx context.Context) bool {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if len(s.runningIDs()) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

func (s *Service) runningIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, r := range s.tasks {
		if r.state == Running {
			ids = append(ids, id)
		}
	}
	return ids
}

// errShuttingDown is returned by Submit once Shutdown has begun.
var errShuttingDown = &problem.Error{Code: wire.CodePoolUnavailable, Retriable: true, Message: "orchestratord is shutting down"}

type admissionEntry = admission.Entry[*record]
