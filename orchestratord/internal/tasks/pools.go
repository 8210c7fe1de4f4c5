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
	pools   []placement.Pool
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
// under s.mu.
func (s *Service) refreshPoolsLocked() []placement.Pool {
	c := &s.pools
	if v := s.deps.Pools.Version(); !c.built || v != c.version {
		defer s.publishPoolsLocked() // once free slots are computed below
		c.version = v
		c.built = true
		c.views = s.deps.Pools.Pools()
		c.pools = c.pools[:0]
		if c.external == nil {
			c.external = map[string]int{}
			c.reported = map[string]time.Time{}
		}
		for _, v := range c.views {
			// A pool is ready once a probe or heartbeat said so.
			ready := v.Reported && v.Report.Ready
			if v.Reported {
				// A new report: what it shows busy beyond our own leases
				// belongs to someone else.
				if at, ok := c.reported[v.PoolID]; !ok || !at.Equal(v.UpdatedAt) {
					ext := 0
					if v.Report.SlotsFree >= 0 {
						ext = v.SlotsTotal - v.Report.SlotsFree - s.leases[v.PoolID]
					}
					c.external[v.PoolID] = max(ext, 0)
					c.reported[v.PoolID] = v.UpdatedAt
				}
			}
			c.pools = append(c.pools, placement.Pool{
				ID: v.PoolID, NodeID: v.NodeID, Engine: v.Engine, Models: models(v),
				DeviceMask: v.DeviceMask, CtxMax: v.CtxMax, SlotsTotal: v.SlotsTotal,
				Online: v.Online, Ready: ready, Draining: v.Draining(),
			})
		}
		c.free = 0
		for i := range c.pools { // fresh views, SlotsFree 0: fill adds each to free
			s.fillPoolLocked(&c.pools[i])
		}
	}
	return c.pools
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
	if i, ok := s.gauges.index[id]; ok && i < len(s.pools.pools) && s.pools.pools[i].ID == id {
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
	if i, ok := s.gauges.index[id]; ok && i < len(s.pools.views) && s.pools.views[i].PoolID == id {
		return s.pools.views[i], true
	}
	for _, v := range s.pools.views {
		if v.PoolID == id {
			return v, true
		}
	}
	return nodeapi.PoolView{}, false
}

func (p *poolStats) ttftMs(pool string) float64 {
	if sp := p.byPool[pool]; sp != nil {
		return sp.ttft * 1000
	}
	return 0
}
