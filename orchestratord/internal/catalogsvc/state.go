package catalogsvc

import (
	"context"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// SetState activates or retires a model (api.md §6). Retiring refuses new
// tasks at once (the gate reads the same index), ends the model's queued
// tasks, and ends its running tasks when deadline_ms passes (the configured
// grace when absent). Activating calls the deadline off. Setting the state a
// model already has is accepted; retiring again moves the deadline.
func (s *Service) SetState(ctx context.Context, id string, req wire.ModelStateRequest) (wire.CatalogModel, error) {
	if req.State == "" {
		return wire.CatalogModel{}, &problem.Error{Code: wire.CodeInvalidParams, Field: "state", Message: "state required"}
	}
	deadline := s.opt.RetireGrace.Milliseconds()
	if req.DeadlineMs != nil {
		if req.State != wire.ModelRetired {
			return wire.CatalogModel{}, &problem.Error{Code: wire.CodeInvalidParams, Field: "deadline_ms", Message: "deadline_ms applies only to state Retired"}
		}
		deadline = *req.DeadlineMs
	}
	e, err := s.cat.SetState(ctx, id, catalog.State(req.State), deadline)
	if err != nil {
		return wire.CatalogModel{}, problemOf(err, id)
	}
	s.deps.Metrics.SetModelState(id, metrics.ModelState(e.State))
	log := s.deps.Log.With().Str("model_id", id).Str("state", string(e.State)).Logger()
	if e.State != catalog.Retired {
		s.stopRetirement(id)
		log.Info().Msg("catalog model state set")
		return modelOf(&e), nil
	}
	ended := s.deps.Tasks.EndQueued(id)
	s.scheduleRetirement(id, e.RetireDeadlineMs)
	log.Info().Int("queued_ended", ended).Int64("retire_deadline_ms", e.RetireDeadlineMs).Msg("catalog model retired")
	return modelOf(&e), nil
}

// retirement is a pending deadline; the map holds the current one per model.
type retirement struct{ timer *time.Timer }

// scheduleRetirement ends the running tasks of id at deadlineMs (Unix ms),
// replacing a deadline set before.
func (s *Service) scheduleRetirement(id string, deadlineMs int64) {
	wait := max(time.UnixMilli(deadlineMs).Sub(s.opt.Now()), 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if r, ok := s.retiring[id]; ok {
		r.timer.Stop()
	}
	r := &retirement{}
	// The callback takes s.mu first, so it sees r.timer set.
	r.timer = time.AfterFunc(wait, func() { s.retireDeadline(id, deadlineMs, r) })
	s.retiring[id] = r
}

// retireDeadline runs when a retirement's deadline passed: when the model is
// still Retired with that deadline, its running tasks end.
func (s *Service) retireDeadline(id string, deadlineMs int64, self *retirement) {
	s.mu.Lock()
	if s.closed || s.retiring[id] != self {
		s.mu.Unlock()
		return // called off, replaced, or shutting down
	}
	delete(s.retiring, id)
	s.bg.Add(1)
	s.mu.Unlock()
	defer s.bg.Done()
	e, err := s.cat.Get(s.ctx, id)
	if err != nil || e.State != catalog.Retired || e.RetireDeadlineMs != deadlineMs {
		return
	}
	n := s.deps.Tasks.CancelRunning(id)
	s.deps.Log.Info().Str("model_id", id).Int("running_ended", n).Msg("retirement deadline passed")
}

// stopRetirement calls off the pending deadline of id, if any.
func (s *Service) stopRetirement(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.retiring[id]; ok {
		r.timer.Stop()
		delete(s.retiring, id)
	}
}
