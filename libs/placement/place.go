package placement

// Place chooses the pool that runs req now, from a snapshot of pools whose
// IDs are expected to be unique (with duplicates, which one counts for pin
// and affinity is unspecified).
//
// A pool is eligible when it is online, ready, not draining, has a free slot,
// lists req.Model, runs req.Engine (any when ""), has ctx room (req.Ctx ≤
// CtxMax when both are known) and a DeviceMask containing every device of
// req.RequireDeviceMask. Then, in order:
//
//   - Pin: only req.PinPool: chosen when eligible; ErrBusy while it could
//     serve the request later (registered, with model, engine, devices and
//     ctx room, whatever its state). When it is unknown or can never serve
//     the request: ErrNoPool (ErrCtxTooLarge when only ctx is the obstacle)
//     without AllowFallback, else the normal choice below with reason
//     "fallback".
//   - Strict with an AffinityPool that could serve the request and is not
//     avoided: only that pool (reason "affinity"), else ErrBusy. When it is
//     gone or can no longer serve the request, the rules below apply.
//   - Prefer: the first eligible pool in req.Prefer order (avoided pools
//     excluded). If none: with AllowFallback, the normal choice with reason
//     "fallback"; without it, ErrBusy while one of them could serve later,
//     else ErrNoPool (ErrCtxTooLarge when only ctx is the obstacle).
//   - Normal choice: pools in req.Avoid are left out. Only when no pool
//     outside req.Avoid could ever serve the request does AllowFallback
//     admit the avoided pools (reason "fallback"); without it the result is
//     ErrNoPool. While a non-avoided pool could serve later, the task waits
//     (ErrBusy) rather than run on an avoided pool. Among the candidates,
//     AffinityPool is chosen when eligible (reason "affinity"), else the
//     strategy decides.
//
// Errors: ErrNoPool when nothing could ever serve the request,
// ErrCtxTooLarge when only ctx stands in the way, ErrBusy when the request
// must wait. Place does not allocate. A decision that some eligible pool
// settles takes one pass that tests the model only of pools able to take
// work now; otherwise a second pass over the other pools classifies them.
func (p *Placer) Place(req Request, pools []Pool) (Decision, error) {
	if p.strategy != LeastLoaded {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	s := newSurvey()
	p.scan(&s, &req, pools, availablePools)
	if d, ok := p.settle(&req, pools, &s); ok {
		return d, nil
	}
	p.scan(&s, &req, pools, unavailablePools)
	return p.decide(&req, pools, &s)
}

// Feasible reports whether any registered pool could ever serve req,
// ignoring online, ready, draining and free slots: nil, ErrNoPool or
// ErrCtxTooLarge, by the rules of Place. It is the admission-time check; it
// makes at most one pass over pools, stopping as soon as the answer is
// known to be nil, and does not allocate.
func (p *Placer) Feasible(req Request, pools []Pool) error {
	s := newSurvey()
	p.scanFeasible(&s, &req, pools)
	switch req.Mode {
	case Pin:
		switch {
		case s.pin >= capable:
			return nil
		case req.AllowFallback:
		case s.pin == ctxTooSmall:
			return ErrCtxTooLarge
		default:
			return ErrNoPool
		}
	case Prefer:
		switch {
		case strictHolds(&req, &s), s.preferCapable:
			return nil
		case req.AllowFallback:
		case s.preferMatching:
			return ErrCtxTooLarge
		default:
			return ErrNoPool
		}
	}
	if strictHolds(&req, &s) {
		return nil
	}
	_, err := candidateTier(&req, &s)
	return err
}

// settle makes the decision when the eligible pools alone settle it (the
// survey has seen only the pools able to take work now). It reports false
// when the decision needs the other pools too: an error or a fallback.
func (p *Placer) settle(req *Request, pools []Pool, s *survey) (Decision, bool) {
	switch {
	case req.Mode == Pin:
		if s.pin == eligible {
			return decision(pools, s.pinIdx, ReasonPin), true
		}
		return Decision{}, false
	case req.Strict && req.AffinityPool != "":
		if s.aff == eligible && !s.affAvoided {
			return decision(pools, s.affIdx, ReasonAffinity), true
		}
		return Decision{}, false
	case req.Mode == Prefer && s.prefer >= 0:
		return decision(pools, s.prefer, ReasonPrefer), true
	case req.Mode == Prefer && !req.AllowFallback:
		return Decision{}, false
	}
	if s.tiers[0].n > 0 {
		return p.pick(pools, s, 0, req.Mode == Prefer), true
	}
	return Decision{}, false
}

// decide applies the rules of Place to a survey of every pool.
func (p *Placer) decide(req *Request, pools []Pool, s *survey) (Decision, error) {
	fallback := false
	switch req.Mode {
	case Pin:
		switch {
		case s.pin == eligible:
			return decision(pools, s.pinIdx, ReasonPin), nil
		case s.pin == capable:
			return Decision{}, ErrBusy
		case req.AllowFallback:
			fallback = true
		case s.pin == ctxTooSmall:
			return Decision{}, ErrCtxTooLarge
		default:
			return Decision{}, ErrNoPool
		}
	case Prefer:
		if strictHolds(req, s) {
			break
		}
		switch {
		case s.prefer >= 0:
			return decision(pools, s.prefer, ReasonPrefer), nil
		case req.AllowFallback:
			fallback = true
		case s.preferCapable:
			return Decision{}, ErrBusy
		case s.preferMatching:
			return Decision{}, ErrCtxTooLarge
		default:
			return Decision{}, ErrNoPool
		}
	}
	if strictHolds(req, s) {
		if s.aff == eligible {
			return decision(pools, s.affIdx, ReasonAffinity), nil
		}
		return Decision{}, ErrBusy
	}
	ti, err := candidateTier(req, s)
	if err != nil {
		return Decision{}, err
	}
	if s.tiers[ti].n == 0 {
		return Decision{}, ErrBusy
	}
	return p.pick(pools, s, ti, fallback || ti == 1), nil
}

// strictHolds reports whether determinism strict ties req to its affinity
// pool: set, present, able to serve the request and not avoided.
func strictHolds(req *Request, s *survey) bool {
	return req.Strict && s.affIdx >= 0 && s.aff >= capable && !s.affAvoided
}

// candidateTier returns which tier the normal choice draws from (0: pools
// not avoided; 1: avoided pools, admitted by AllowFallback when no other
// pool could ever serve) or the error when no pool could ever serve req.
func candidateTier(req *Request, s *survey) (int, error) {
	switch {
	case s.tiers[0].capable:
		return 0, nil
	case req.AllowFallback && s.tiers[1].capable:
		return 1, nil
	case s.tiers[0].matching, req.AllowFallback && s.tiers[1].matching:
		return 0, ErrCtxTooLarge
	default:
		return 0, ErrNoPool
	}
}

// pick makes the normal choice among the eligible pools of tier ti (at least
// one): the affinity pool when it is one of them, else the strategy's pick.
// Round-robin moves its cursor to the pool it picks.
func (p *Placer) pick(pools []Pool, s *survey, ti int, fallback bool) Decision {
	reason := func(r string) string {
		if fallback {
			return ReasonFallback
		}
		return r
	}
	if s.aff == eligible && tierOf(s.affAvoided) == ti {
		return decision(pools, s.affIdx, reason(ReasonAffinity))
	}
	t := &s.tiers[ti]
	switch p.strategy {
	case RoundRobin:
		i := t.best
		if i < 0 {
			i = t.lowest // nothing above the cursor: wrap around
		}
		p.cursor, p.hasCursor = pools[i].ID, true
		return decision(pools, i, reason(ReasonRoundRobin))
	case Random:
		return decision(pools, t.best, reason(ReasonRandom))
	default:
		return decision(pools, t.best, reason(ReasonLeastLoaded))
	}
}

func decision(pools []Pool, i int, reason string) Decision {
	return Decision{PoolID: pools[i].ID, Index: i, Reason: reason}
}
