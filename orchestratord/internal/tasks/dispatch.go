package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/placement"
)

// housekeepingEvery paces queue-position updates and record expiry.
const housekeepingEvery = time.Second

// dispatchLoop runs a dispatch pass whenever something that can start a task
// happens: an enqueue, a released lease, a pool change. It returns when ctx
// is done.
func (s *Service) dispatchLoop(ctx context.Context, poolEvents <-chan struct{}) {
	tick := time.NewTicker(housekeepingEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-poolEvents:
		case <-tick.C:
			s.housekeeping()
		}
		s.dispatch()
	}
}

// dispatch starts every queued task that can be placed now. After a pool
// change it also walks the whole queue for tasks no pool can serve any more.
func (s *Service) dispatch() {
	s.mu.Lock()
	s.syncPoolsLocked()
	starts, dead := s.dispatchLocked(s.deps.Pools.Version() != s.scannedVersion)
	s.mu.Unlock()
	s.launch(starts)
	s.failUnplaceable(dead)
}

// dispatchLocked walks the queue in priority order and places what it can,
// stopping once no slot is free (so admission under a full cluster stays
// O(1)); with full it walks everything to find tasks no registered pool can
// ever serve. It returns the tasks to launch (already leased and out of the
// queue) and the unservable ones (out of the queue).
func (s *Service) dispatchLocked(full bool) (starts, dead []*record) {
	if s.queue.Len() == 0 || s.closing {
		return nil, nil
	}
	pools := s.refreshPoolsLocked()
	if full {
		s.scannedVersion = s.pools.version
	}
	free := s.pools.free
	if free == 0 && !full {
		return nil, nil
	}
	s.queue.Scan(func(_ int, e admission.Entry[*record]) bool {
		r := e.Value
		req := s.placementRequest(r)
		if free <= 0 {
			// A full walk past the free slots only looks for tasks no pool
			// can ever serve: the admission check, which stops at the first
			// pool that could (Place would pass over every pool to answer
			// "busy").
			if s.deps.Placer.Feasible(req, pools) != nil {
				dead = append(dead, r)
			}
			return full
		}
		d, err := s.deps.Placer.Place(req, pools)
		switch {
		case err == nil:
			starts = append(starts, r)
			r.poolID = d.PoolID
			if p := s.cachedPoolLocked(d.PoolID); p != nil {
				p.SlotsFree-- // until leaseLocked below takes the lease
				s.pools.free--
				r.nodeID, r.engine = p.NodeID, p.Engine
			}
			free--
		case errors.Is(err, placement.ErrNoPool), errors.Is(err, placement.ErrCtxTooLarge):
			dead = append(dead, r)
		}
		// Keep scanning while slots remain: a task behind may fit a pool
		// the ones ahead cannot use.
		return free > 0 || full
	})
	now := s.now()
	for _, r := range starts {
		e, _ := s.queue.Take(r.spec.ID)
		s.leaseLocked(r, now)
		wait := now.Sub(e.EnqueuedAt)
		s.deps.Metrics.ObserveQueueWait(metricsPriority(e.Priority), wait)
		s.logStartedLocked(r, wait)
	}
	for _, r := range dead {
		s.unqueueLocked(r)
	}
	if len(starts) > 0 {
		s.setQueueDepthLocked()
		s.announcePositionsLocked(headUpdates)
	}
	return starts, dead
}

// placementRequest builds the placement request of a task, excluding pools
// that already failed it.
func (s *Service) placementRequest(r *record) placement.Request {
	req := r.spec.Placement
	req.Model, req.Engine, req.Ctx = r.spec.Model, r.spec.Engine, r.spec.Ctx
	s.affinity(&req, &r.spec)
	if len(r.tried) > 0 {
		req.Avoid = append(append([]string(nil), req.Avoid...), r.tried...)
	}
	return req
}

// leaseLocked marks a task running on its chosen pool.
func (s *Service) leaseLocked(r *record, now time.Time) {
	s.leases[r.poolID]++
	s.leaseChangedLocked(r.poolID)
	r.state = Running
	if r.started.IsZero() {
		r.started = now
		s.deps.Metrics.TaskStarted(metricsEngine(r.engine), r.poolID, metricsPriority(r.spec.Priority))
	}
	if r.deadline != nil {
		r.deadline.Stop()
	}
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	r.runCtx = ctx
}

// releaseLocked returns a task's slot lease.
func (s *Service) releaseLocked(r *record) {
	if r.poolID == "" {
		return
	}
	s.leases[r.poolID]--
	s.leaseReturnedLocked(r.poolID)
}

// leaseReturnedLocked publishes a pool whose lease count was just lowered,
// forgetting the count once it is 0.
func (s *Service) leaseReturnedLocked(poolID string) {
	if s.leases[poolID] <= 0 {
		delete(s.leases, poolID)
	}
	s.leaseChangedLocked(poolID)
}

func (s *Service) setQueueDepthLocked() {
	for _, p := range []admission.Priority{admission.Interactive, admission.Batch} {
		s.deps.Metrics.SetQueueDepth(metricsPriority(p), s.queue.LenPriority(p))
	}
}

// launch starts the run goroutine of each placed task.
func (s *Service) launch(starts []*record) {
	for _, r := range starts {
		s.runs.Add(1)
		go func() {
			defer s.runs.Done()
			s.run(r)
		}()
	}
}

// streamBytesHint is about how many more bytes of frames a started stream
// of maxTokens takes: a token frame is about 48 bytes (a four-character
// token with a two-digit id and index), and the metrics and end frames
// that follow take about 200. The log rounds the room up to the
// allocator's size class (a 64-token stream gets 4 KiB for about 3.3 KiB
// of frames). Longer streams grow the log as they go.
func streamBytesHint(maxTokens int) int {
	const tokenFrame, others, most = 48, 512, 64 << 10
	return min(maxTokens*tokenFrame+others, most)
}

// failUnplaceable ends tasks that no registered pool can serve any more.
func (s *Service) failUnplaceable(dead []*record) {
	for _, r := range dead {
		if s.finish(r, errorFrame(wire.CodePoolUnavailable, "no registered pool can serve model "+r.spec.Model, ""), Failed) {
			s.deps.Metrics.TaskRejected(rejectReason(wire.CodePoolUnavailable))
		}
	}
}

// housekeeping announces changed queue positions and forgets old records.
func (s *Service) housekeeping() {
	s.mu.Lock()
	s.forgetExpiredLocked(s.now())
	s.announcePositionsLocked(-1)
	s.mu.Unlock()
}

// headUpdates is how many queued tasks hear of their new position right
// after a dispatch; the rest hear of it on the next housekeeping pass.
const headUpdates = 16

// announcePositionsLocked appends a metrics frame to every queued task
// (the first limit ones; all when limit < 0) whose position changed since
// it was last told.
func (s *Service) announcePositionsLocked(limit int) {
	now := s.now()
	depth := s.queue.Len()
	s.queue.Scan(func(pos int, e admission.Entry[*record]) bool {
		if limit >= 0 && pos >= limit {
			return false
		}
		r := e.Value
		if pos == r.lastPos || !r.opened {
			return true
		}
		r.lastPos = pos
		wait := s.queue.EstimateWait(pos)
		plain, verbose := metricsFrames(wire.MetricsFrame{
			QueuePosition: ptr(pos), QueueDepth: depth,
			OnTimeProbability: ptr(onTimeProbability(r.due, now, wait)),
		}, fmt.Sprintf("position %d of %d in the queue, expected start in %d ms", pos, depth, wait.Milliseconds()))
		_, _ = r.log.AppendVerbose(wire.EventMetrics, plain, verbose)
		return true
	})
}
