package tasks

// The pool series of api.md §8 move with the events that change them: a
// registry change (a pool registered, reported ready or draining, went
// offline, left) republishes the pools it touched; a lease taken or
// returned republishes that pool's leases and free slots.

// poolGauges remembers which pools have published series. Guarded by
// Service.mu.
type poolGauges struct {
	shown []shownPool     // what the series of poolCache.pools[i] show
	gone  map[string]bool // left the registry while tasks still ran on it
}

// shownPool is what a registered pool's series were last set to: a registry
// change sets only the series of the pools whose values differ (one changed
// report among thousands of pools sets a few series, not all of them).
type shownPool struct {
	ready        bool
	free, leases int
}

// syncPoolsLocked brings the pool cache, and with it the pool series, up to
// date with the registry. The dispatcher calls it on every registry change,
// also when nothing is queued.
func (s *Service) syncPoolsLocked() {
	if !s.pools.built || s.deps.Pools.Version() != s.pools.version {
		s.refreshPoolsLocked()
	}
}

// publishPoolsLocked sets orchd_pool_ready, orchd_pool_slots_free and
// orchd_active_leases of every registered pool as placement sees it, and
// deletes the series of pools that left the registry — at once when no task
// holds a lease there, else when the last lease is returned, so a running
// task's counts are never dropped. rebuildPoolsLocked calls it with the
// index of the pools before the rebuild.
func (s *Service) publishPoolsLocked(before map[string]int) {
	m, g := s.deps.Metrics, &s.gauges
	if g.gone == nil {
		g.gone = map[string]bool{}
	}
	shownBefore := g.shown
	g.shown = make([]shownPool, len(s.pools.pools))
	for i := range s.pools.pools {
		p := &s.pools.pools[i]
		delete(g.gone, p.ID)
		if j, ok := before[p.ID]; ok && j < len(shownBefore) {
			g.shown[i] = shownBefore[j]
		} else {
			g.shown[i] = shownPool{free: -1} // never shown: set every series
		}
		s.publishPoolLocked(i)
	}
	for id := range before {
		if _, ok := s.pools.index[id]; ok {
			continue
		}
		if s.leases[id] > 0 {
			g.gone[id] = true
			continue
		}
		m.ForgetPool(id)
	}
}

// publishPoolLocked sets the series of pools[i] that differ from what they
// show.
func (s *Service) publishPoolLocked(i int) {
	m, g, p := s.deps.Metrics, &s.gauges, &s.pools.pools[i]
	want := shownPool{ready: takesWork(p), free: p.SlotsFree, leases: s.leases[p.ID]}
	if g.shown[i] == want {
		return
	}
	g.shown[i] = want
	m.SetPoolReady(p.ID, want.ready)
	m.SetPoolSlotsFree(p.ID, want.free)
	m.SetActiveLeases(p.ID, want.leases)
}

// leaseChangedLocked publishes a pool's leases and free slots after a lease
// on it was taken or returned.
func (s *Service) leaseChangedLocked(poolID string) {
	m, g := s.deps.Metrics, &s.gauges
	n := s.leases[poolID]
	if g.gone[poolID] {
		if n > 0 {
			m.SetActiveLeases(poolID, n)
			return
		}
		delete(g.gone, poolID)
		m.ForgetPool(poolID)
		return
	}
	// A pool neither registered nor gone has no series (yet): the next
	// registry change publishes it.
	if i, ok := s.pools.index[poolID]; ok {
		s.fillPoolLocked(&s.pools.pools[i])
		s.publishPoolLocked(i)
	}
}
