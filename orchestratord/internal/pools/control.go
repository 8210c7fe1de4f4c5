package pools

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Control actions, as they appear in a node agent's control path.
const (
	actionDrain  = "drain"
	actionReload = "reload"
	actionPurge  = "purge"
)

// Drain is POST /v2/pools/{id}/drain: no new placements from now on;
// tasks running on the pool may finish for deadline_ms, then they are
// canceled with finish_reason "drain". deadline_ms 0 sets no deadline; a
// new drain replaces the deadline of the last. The pool stays drained until
// a reload returns it to ready. A pool of a node agent is drained there
// too, so the agent reports it draining.
func (s *Service) Drain(ctx context.Context, id string, req wire.DrainRequest) error {
	if req.DeadlineMs < 0 {
		return problem.Invalid("deadline_ms", "must be >= 0")
	}
	v, err := s.pool(id)
	if err != nil {
		return err
	}
	if _, err := s.deps.Registry.UpdateControl(id, func(c *nodeapi.Control) { c.Draining = true }); err != nil {
		return s.unknown(id, err)
	}
	deadline := time.Duration(req.DeadlineMs) * time.Millisecond
	s.setDeadline(id, deadline)
	s.deps.Log.Info().Str("pool_id", id).Int64("deadline_ms", req.DeadlineMs).Msg("pool draining")
	if addr, ok := s.agentAddress(v); ok {
		if err := s.send(ctx, addr, id, actionDrain, req); err != nil {
			s.deps.Log.Warn().Err(err).Str("pool_id", id).Msg("the node agent did not take the drain")
			s.setError(id, "drain: the node agent did not take the call: "+err.Error())
		}
	}
	return nil
}

// setDeadline arms (or, for d == 0, removes) the pool's drain deadline.
func (s *Service) setDeadline(id string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.drains[id]; old != nil {
		if old.Stop() {
			s.ops.Done()
		}
		delete(s.drains, id)
	}
	if d == 0 || s.closed {
		return
	}
	s.ops.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer s.ops.Done()
		s.mu.Lock()
		current := s.drains[id] == t
		if current {
			delete(s.drains, id)
		}
		s.mu.Unlock()
		if v, ok := s.deps.Registry.Pool(id); current && ok && v.Control.Held() {
			n := s.deps.Tasks.CancelOnPool(id)
			s.deps.Log.Info().Str("pool_id", id).Int("canceled", n).Msg("drain deadline passed")
		}
	})
	s.drains[id] = t
}

// Reload is POST /v2/pools/{id}/reload. The pool takes no new work at
// once; then, in the background, its running tasks finish, the model is
// switched — by the node agent, or here for a static pool — and the pool
// returns to ready, on the new model or, when the switch failed, on the old
// one with last_error saying why. A reload while one runs is 409.
func (s *Service) Reload(_ context.Context, id string, req wire.ReloadRequest) error {
	if !wire.ValidModelRef(req.NewModelRef) {
		return problem.Invalid("new_model_ref", "want 1-128 characters of [A-Za-z0-9._:@+/-]")
	}
	v, err := s.pool(id)
	if err != nil {
		return err
	}
	running := false
	if _, err := s.deps.Registry.UpdateControl(id, func(c *nodeapi.Control) {
		running = c.Reloading
		c.Reloading = true
	}); err != nil {
		return s.unknown(id, err)
	}
	if running {
		return problem.New(wire.CodeConflict, "a reload of pool %s is running", id)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.endReload(id, req.NewModelRef, "orchestratord is shutting down")
		return nil
	}
	s.ops.Add(1)
	s.mu.Unlock()
	s.deps.Log.Info().Str("pool_id", id).Str("model", req.NewModelRef).Msg("pool reloading")
	go func() {
		defer s.ops.Done()
		s.endReload(id, req.NewModelRef, s.reload(s.opCtx, v, req.NewModelRef))
	}()
	return nil
}

// reload carries a reload out and returns why it failed ("" on success).
func (s *Service) reload(ctx context.Context, v nodeapi.PoolView, model string) string {
	node, ok := s.deps.Registry.Node(v.NodeID)
	switch {
	case !ok:
		return "the pool left the registry"
	case node.Static:
		// The engines the daemon drives serve the model they were started
		// with: fail at once, without disturbing the pool's running work.
		return fmt.Sprintf("the %s engine cannot switch models; restart it with %s (the pool stays on %s)",
			v.Engine, model, modelList(v))
	case node.Address == "":
		return fmt.Sprintf("node %s registered no control address (the pool stays on %s)", v.NodeID, modelList(v))
	}
	if !s.waitIdle(ctx, v.PoolID) {
		return "interrupted: orchestratord is shutting down"
	}
	before, _ := s.deps.Registry.Pool(v.PoolID)
	if err := s.send(ctx, node.Address, v.PoolID, actionReload, wire.ReloadRequest{NewModelRef: model}); err != nil {
		return "the node agent did not take the call: " + err.Error()
	}
	return s.awaitAgent(ctx, v.PoolID, before.UpdatedAt)
}

// waitIdle waits until no task runs on the pool; false when ctx ended first.
func (s *Service) waitIdle(ctx context.Context, id string) bool {
	t := time.NewTicker(s.opt.PollEvery)
	defer t.Stop()
	for s.deps.Tasks.Leases(id) > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return true
}

// awaitAgent waits for the heartbeat that carries the outcome of a reload
// the agent accepted: the agent reports the pool draining while it
// switches and not draining once done. A report that never showed the
// switch counts only from the second one after the call (the first may
// have left the agent before the call arrived). The agent's own last_error
// tells a failure; "" means the outcome arrived.
func (s *Service) awaitAgent(ctx context.Context, id string, last time.Time) string {
	deadline := time.NewTimer(s.opt.ReloadWait)
	defer deadline.Stop()
	t := time.NewTicker(s.opt.PollEvery)
	defer t.Stop()
	reports, sawSwitch := 0, false
	for {
		v, ok := s.deps.Registry.Pool(id)
		switch {
		case !ok:
			return "the pool left the registry during the reload"
		case !v.Online:
			return "the node went offline during the reload"
		case v.UpdatedAt.After(last):
			last = v.UpdatedAt
			reports++
			if v.Reported && v.Report.Draining {
				sawSwitch = true
			} else if sawSwitch || reports >= 2 {
				return ""
			}
		}
		select {
		case <-ctx.Done():
			return "interrupted: orchestratord is shutting down"
		case <-deadline.C:
			return "no outcome from the node agent within " + s.opt.ReloadWait.String()
		case <-t.C:
		}
	}
}

// endReload returns the pool to ready: the reload and any drain end, and
// last_error records why the reload failed ("" clears it).
func (s *Service) endReload(id, model, failure string) {
	s.setDeadline(id, 0)
	msg := ""
	if failure != "" {
		msg = "reload to " + model + " failed: " + failure
	}
	if _, err := s.deps.Registry.UpdateControl(id, func(c *nodeapi.Control) {
		c.Reloading, c.Draining, c.LastError = false, false, msg
	}); err != nil {
		return // the pool left the registry
	}
	if msg != "" {
		s.deps.Log.Warn().Str("pool_id", id).Str("model", model).Str("last_error", msg).Msg("pool reload failed")
		return
	}
	s.deps.Log.Info().Str("pool_id", id).Str("model", model).Msg("pool reloaded")
}

// Purge is POST /v2/pools/{id}/purge: the node agent removes the models
// from its engine's store (draining first when asked) and reports the
// outcome through heartbeats. For a static pool the engines the daemon
// drives cannot remove models: the purge fails and last_error says so.
// While a reload of the pool runs: 409.
func (s *Service) Purge(ctx context.Context, id string, req wire.PurgeRequest) error {
	if len(req.PurgeModels) == 0 {
		return problem.Invalid("purge_models", "at least one model is required")
	}
	for i, m := range req.PurgeModels {
		if !wire.ValidModelRef(m) {
			return problem.Invalid("purge_models["+strconv.Itoa(i)+"]", "want 1-128 characters of [A-Za-z0-9._:@+/-]")
		}
	}
	v, err := s.pool(id)
	if err != nil {
		return err
	}
	if v.Control.Reloading {
		return problem.New(wire.CodeConflict, "a reload of pool %s is running", id)
	}
	node, _ := s.deps.Registry.Node(v.NodeID)
	what := strings.Join(req.PurgeModels, ", ")
	switch {
	case node.Static:
		s.setError(id, fmt.Sprintf("purge of %s failed: the %s engine cannot remove models", what, v.Engine))
		return nil
	case node.Address == "":
		s.setError(id, fmt.Sprintf("purge of %s failed: node %s registered no control address", what, v.NodeID))
		return nil
	}
	err = s.send(ctx, node.Address, id, actionPurge, req)
	var ae *AgentError
	switch {
	case errors.As(err, &ae) && ae.Code == wire.CodeConflict:
		return problem.New(wire.CodeConflict, "a reload or purge of pool %s is running on its node", id)
	case err != nil:
		s.setError(id, fmt.Sprintf("purge of %s failed: the node agent did not take the call: %v", what, err))
	default:
		s.setError(id, "") // the agent reports the outcome
	}
	s.deps.Log.Info().Str("pool_id", id).Str("models", what).Err(err).Msg("pool purge")
	return nil
}

// agentAddress is the control address of the node agent owning the pool.
func (s *Service) agentAddress(v nodeapi.PoolView) (string, bool) {
	n, ok := s.deps.Registry.Node(v.NodeID)
	if !ok || n.Static || n.Address == "" {
		return "", false
	}
	return n.Address, true
}

// send is one call to a node agent, bounded by the call timeout.
func (s *Service) send(ctx context.Context, address, id, action string, body any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opt.CallTimeout)
	defer cancel()
	return s.deps.Agents.Send(ctx, address, id, action, body)
}

func (s *Service) setError(id, msg string) {
	_, _ = s.deps.Registry.UpdateControl(id, func(c *nodeapi.Control) { c.LastError = msg })
}

// unknown maps a registry error for a pool that left between two calls.
func (s *Service) unknown(id string, err error) error {
	if errors.Is(err, nodeapi.ErrUnknownPool) {
		return problem.New(wire.CodeNotFound, "pool %s not found", id)
	}
	return err
}

func modelList(v nodeapi.PoolView) string {
	models := v.Models
	if v.Reported && len(v.Report.ModelsAvailable) > 0 {
		models = v.Report.ModelsAvailable
	}
	if len(models) == 0 {
		return "the model it serves"
	}
	return strings.Join(models, ", ")
}
