package tasks

import (
	"time"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/placement"
)

// poolCache is the placement view of every pool, rebuilt when the registry
// changes. Between changes a pool's free slots and measured latency are
// updated where they change (a lease taken or returned, a task's TTFT
// measured), so that handing the pools to placement costs nothing per pool:
// with thousands of pools, recomputing them on every admission and start
// was most of what those cost. Guarded by Service.mu.
type poolCache struct {
	version uint64
	built   bool
	views   []nodeapi.PoolView
	pools   []placement.Pool // pools[i] is the placement view of views[i]
	index   map[string]int   // pool id → i
	// external is how many slots of a pool the last report showed busy with
	// work that is not ours (other clients of the engine).
	external map[string]int
	reported map[string]time.Time // pool → time of the report last accounted
	// free is the sum of SlotsFree over the pools that can take work now
	// (takesWork), kept with them.
	free int
}

// takesWork reports whether a pool can be given a task now, slots aside.
func takesWork(p *placement.Pool) bool { return p.Online && p.Ready && !p.Draining }

// refreshPoolsLocked brings the cache up to date and returns the pools with
// their current free slots. The slice is the cache's: placement reads it
// under s.mu. A registry change that left the set of pools as it was
// updates only the pools it touched (the registry's PoolsSince); one that
// added or removed pools rebuilds the cache.
func (s *Service) refreshPoolsLocked() []placement.Pool {
	c := &s.pools
	if c.built && s.deps.Pools.Version() == c.version {
		return c.pools
	}
	since := c.version
	if !c.built {
		since = 0
	}
	views, v, full := s.deps.Pools.PoolsSince(since)
	if !full && !s.updatePoolsLocked(views) {
		views, v, full = s.deps.Pools.PoolsSince(0)
	}
	if full {
		s.rebuildPoolsLocked(views)
	}
	c.version, c.built = v, true
	return c.pools
}

// rebuildPoolsLocked makes the cache anew from every pool's view and
// publishes the pool series.
func (s *Service) rebuildPoolsLocked(views []nodeapi.PoolView) {
	c := &s.pools
	before := c.index
	c.views = views
	c.pools = c.pools[:0]
	c.index = make(map[string]int, len(views))
	for i, v := range views {
		c.pools = append(c.pools, s.placementPoolLocked(v))
		c.index[v.PoolID] = i
	}
	c.free = 0
	for i := range c.pools { // fresh views, SlotsFree 0: fill adds each to free
		s.fillPoolLocked(&c.pools[i])
	}
	s.publishPoolsLocked(before)
}

// updatePoolsLocked applies the changed views of pools the cache holds and
// publishes their series. It reports false, changing nothing, when one of
// them is not in the cache (the caller rebuilds).
func (s *Service) updatePoolsLocked(views []nodeapi.PoolView) bool {
	c := &s.pools
	for _, v := range views {
		if _, ok := c.index[v.PoolID]; !ok {
			return false
		}
	}
	for _, v := range views {
		i := c.index[v.PoolID]
		p := &c.pools[i]
		if takesWork(p) {
			c.free -= p.SlotsFree
		}
		c.views[i] = v
		*p = s.placementPoolLocked(v) // SlotsFree 0: fill adds it to free
		s.fillPoolLocked(p)
		s.publishPoolLocked(i)
	}
	return true
}

// placementPoolLocked is the placement view of a registry view, slots aside.
// A report not seen before sets what the pool has busy beyond our own
// leases: work that belongs to someone else.
func (s *Service) placementPoolLocked(v nodeapi.PoolView) placement.Pool {
	c := &s.pools
	if c.external == nil {
		c.external = map[string]int{}
		c.reported = map[string]time.Time{}
	}
	if v.Reported {
		if at, ok := c.reported[v.PoolID]; !ok || !at.Equal(v.UpdatedAt) {
			ext := 0
			if v.Report.SlotsFree >= 0 {
				ext = v.SlotsTotal - v.Report.SlotsFree - s.leases[v.PoolID]
			}
			c.external[v.PoolID] = max(ext, 0)
			c.reported[v.PoolID] = v.UpdatedAt
		}
	}
	return placement.Pool{
		ID: v.PoolID, NodeID: v.NodeID, Engine: v.Engine, Models: models(v),
		DeviceMask: v.DeviceMask, CtxMax: v.CtxMax, SlotsTotal: v.SlotsTotal,
		// A pool is ready once a probe or heartbeat said so.
		Online: v.Online, Ready: v.Reported && v.Report.Ready, Draining: v.Draining(),
	}
}

// fillPoolLocked computes a cached pool's free slots and measured latency.
func (s *Service) fillPoolLocked(p *placement.Pool) {
	free := max(p.SlotsTotal-s.leases[p.ID]-s.pools.external[p.ID], 0)
	if takesWork(p) {
		s.pools.free += free - p.SlotsFree
	}
	p.SlotsFree = free
	p.LatencyMs = s.stats.ttftMs(p.ID)
}

// cachedPoolLocked returns the cached placement view of a registered pool,
// nil for one the cache does not hold.
func (s *Service) cachedPoolLocked(id string) *placement.Pool {
	if i, ok := s.pools.index[id]; ok {
		return &s.pools.pools[i]
	}
	return nil
}

// poolChangedLocked updates a cached pool after its leases or its measured
// latency changed.
func (s *Service) poolChangedLocked(id string) {
	if p := s.cachedPoolLocked(id); p != nil {
		s.fillPoolLocked(p)
	}
}

// models is what a pool can serve: the models it reports loaded when it
// reports any, else what it registered.
func models(v nodeapi.PoolView) []string {
	if v.Reported && len(v.Report.ModelsAvailable) > 0 {
		return v.Report.ModelsAvailable
	}
	return v.Models
}

// viewLocked returns the registry view of a pool.
func (s *Service) viewLocked(id string) (nodeapi.PoolView, bool) {
	if i, ok := s.pools.index[id]; ok {
		return s.pools.views[i], true
	}
	return nodeapi.PoolView{}, false
}

func (p *poolStats) ttftMs(pool string) float64 {
	if sp := p.byPool[pool]; sp != nil {
		return sp.ttft * 1000
	}
	return 0
}
