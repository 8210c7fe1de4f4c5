package placement

// status is how far a pool can serve a request, from worst to best.
type status uint8

const (
	unmatched   status = iota // lacks the model, engine or devices
	ctxTooSmall               // matches but its CtxMax is below the request's ctx
	capable                   // could serve the request when ready with a free slot
	eligible                  // can serve it now
)

// tier summarizes the pools on one side of the avoid list.
type tier struct {
	matching bool // some pool matches model, engine and devices
	capable  bool // some pool could serve the request (ctx included)
	n        int  // pools eligible now
	// best is the strategy's pick so far: least-loaded, the least loaded
	// eligible pool; round-robin, the eligible pool with the lowest ID above
	// the cursor; random, the reservoir sample. -1 when none.
	best int
	// lowest (round-robin) is the eligible pool with the lowest ID at or
	// below the cursor, where the cycle wraps around to. -1 when none.
	lowest int
}

// survey is what the passes over the pools learn about a request.
type survey struct {
	pin    status // Mode Pin: status of PinPool (unmatched when not seen)
	pinIdx int

	aff        status // status of AffinityPool (unmatched when not seen)
	affIdx     int
	affAvoided bool

	// Mode Prefer: the eligible preferred pool earliest in Prefer order,
	// and whether some preferred pool matches / could serve the request.
	prefer, preferRank            int
	preferMatching, preferCapable bool

	tiers [2]tier // 0: pools not avoided; 1: avoided pools
}

func newSurvey() survey {
	return survey{
		pinIdx: -1, affIdx: -1, prefer: -1,
		tiers: [2]tier{{best: -1, lowest: -1}, {best: -1, lowest: -1}},
	}
}

// poolSet selects the pools a pass of Place looks at.
type poolSet uint8

const (
	availablePools   poolSet = iota // online, ready, not draining, a free slot
	unavailablePools                // the others
)

// available reports whether a pool can take work now, whatever the request.
func available(pl *Pool) bool {
	return pl.Online && pl.Ready && !pl.Draining && pl.SlotsFree > 0
}

// scan passes over the available or the unavailable pools, adding what it
// learns to s. The pass over the available pools also runs the strategy's
// selection (reading the round-robin cursor, drawing random numbers); the
// caller holds p.mu for the RoundRobin and Random strategies.
//
// This loop is the hot path of placement and is kept free of calls so that
// it runs from registers: availability (fields of the pool itself) is
// tested first, then whether a model name has the requested length (which
// follows the Models pointer but reads no string bytes); only the pools that
// pass go to visit, which compares the names.
func (p *Placer) scan(s *survey, req *Request, pools []Pool, set poolSet) {
	n := len(req.Model)
	want := set == availablePools
	for i := range pools {
		pl := &pools[i]
		if available(pl) != want {
			continue
		}
		for _, m := range pl.Models {
			if len(m) == n {
				p.visit(s, req, pools, i, want)
				break
			}
		}
	}
}

// scanFeasible passes over every pool for Feasible, adding what it learns to
// s, and stops at the first pool that makes the request feasible whatever
// the rest: a capable pool outside the avoid list, when the mode is Auto or
// fallback is allowed. It is scan's loop with the early exit, kept apart so
// that scan's loop stays as small as possible.
func (p *Placer) scanFeasible(s *survey, req *Request, pools []Pool) {
	n := len(req.Model)
	stop := req.Mode == Auto || req.AllowFallback
	for i := range pools {
		for _, m := range pools[i].Models {
			if len(m) == n {
				p.visit(s, req, pools, i, false)
				if stop && s.tiers[0].capable {
					return
				}
				break
			}
		}
	}
}

// visit adds pool i to the survey when it lists the model; with pick it
// offers the pool to the strategy's selection when eligible.
func (p *Placer) visit(s *survey, req *Request, pools []Pool, i int, pick bool) {
	pl := &pools[i]
	if !listed(pl.Models, req.Model) ||
		((req.Engine != "" || req.RequireDeviceMask != "") && !fits(req, pl)) {
		return
	}
	st := readiness(req, pl)
	avoided, rank := false, -1
	if req.Mode != Auto || req.AffinityPool != "" || len(req.Avoid) > 0 {
		avoided, rank = s.noteIDs(req, pl, i, st)
	}
	t := &s.tiers[tierOf(avoided)]
	t.matching = true
	if st < capable {
		return
	}
	t.capable = true
	if st != eligible {
		return
	}
	t.n++
	if rank >= 0 && (s.prefer < 0 || rank < s.preferRank) {
		s.prefer, s.preferRank = i, rank
	}
	if !pick {
		return
	}
	switch p.strategy {
	case LeastLoaded:
		// Most pools have fewer free slots than the best so far: that test
		// is inline, the full comparison runs on ties.
		if t.best < 0 || pl.SlotsFree > pools[t.best].SlotsFree ||
			(pl.SlotsFree == pools[t.best].SlotsFree && lessLoaded(pl, &pools[t.best])) {
			t.best = i
		}
	case RoundRobin:
		p.considerRoundRobin(t, pools, i)
	case Random:
		// Reservoir sampling: the n-th eligible pool replaces the pick with
		// probability 1/n, so each is picked with probability 1/N.
		if k := p.intn(t.n); k%t.n == 0 {
			t.best = i
		}
	}
}

// noteIDs records what the request's pool lists say about pool i (status
// st): whether it is avoided, its rank in Prefer (-1 if absent or avoided),
// and whether it is the pin or the affinity pool.
func (s *survey) noteIDs(req *Request, pl *Pool, i int, st status) (avoided bool, rank int) {
	avoided = len(req.Avoid) > 0 && indexID(req.Avoid, pl.ID) >= 0
	if req.Mode == Pin && s.pinIdx < 0 && sameID(pl.ID, req.PinPool) {
		s.pin, s.pinIdx = st, i
	}
	if req.AffinityPool != "" && s.affIdx < 0 && sameID(pl.ID, req.AffinityPool) {
		s.aff, s.affIdx, s.affAvoided = st, i, avoided
	}
	rank = -1
	if req.Mode == Prefer && !avoided {
		rank = indexID(req.Prefer, pl.ID)
	}
	if rank >= 0 {
		s.preferMatching = true
		s.preferCapable = s.preferCapable || st >= capable
	}
	return avoided, rank
}

// considerRoundRobin offers eligible pool i to round-robin: t.best tracks
// the lowest ID above the cursor, t.lowest the lowest ID at or below it
// (where the cycle wraps around to when nothing is above the cursor).
func (p *Placer) considerRoundRobin(t *tier, pools []Pool, i int) {
	id := pools[i].ID
	if !p.hasCursor || id > p.cursor {
		if t.best < 0 || id < pools[t.best].ID {
			t.best = i
		}
	} else if t.lowest < 0 || id < pools[t.lowest].ID {
		t.lowest = i
	}
}

func tierOf(avoided bool) int {
	if avoided {
		return 1
	}
	return 0
}
