package placement_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/placement"
)

// The reference placer below restates the rules of Place as plainly as
// possible (lookups by ID, sorting); random small clusters and requests must
// get the same answers from both.

type refStatus int

const (
	refUnmatched refStatus = iota
	refCtxTooSmall
	refCapable
	refEligible
)

func refStatusOf(req placement.Request, p placement.Pool) refStatus {
	devices := strings.Split(p.DeviceMask, ",")
	for i := range devices {
		devices[i] = strings.TrimSpace(devices[i])
	}
	for d := range strings.SplitSeq(req.RequireDeviceMask, ",") {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(devices, d) {
			return refUnmatched
		}
	}
	switch {
	case !slices.Contains(p.Models, req.Model), req.Engine != "" && p.Engine != req.Engine:
		return refUnmatched
	case req.Ctx > 0 && p.CtxMax > 0 && req.Ctx > p.CtxMax:
		return refCtxTooSmall
	case !p.Online || !p.Ready || p.Draining || p.SlotsFree <= 0:
		return refCapable
	}
	return refEligible
}

func refPlace(req placement.Request, pools []placement.Pool) outcome {
	statusOf := func(id string) refStatus {
		i := slices.IndexFunc(pools, func(p placement.Pool) bool { return p.ID == id })
		if i < 0 {
			return refUnmatched
		}
		return refStatusOf(req, pools[i])
	}
	avoided := func(id string) bool { return slices.Contains(req.Avoid, id) }
	best := func(st refStatus, ids []string) refStatus {
		b := refUnmatched
		for _, id := range ids {
			b = max(b, min(st, statusOf(id)))
		}
		return b
	}
	staticErr := func(s refStatus) error {
		if s == refCtxTooSmall {
			return placement.ErrCtxTooLarge
		}
		return placement.ErrNoPool
	}
	strict := req.Strict && req.AffinityPool != "" && statusOf(req.AffinityPool) >= refCapable && !avoided(req.AffinityPool)
	fallback := false
	switch {
	case req.Mode == placement.Pin:
		switch s := statusOf(req.PinPool); {
		case s == refEligible:
			return chose(req.PinPool, placement.ReasonPin)
		case s == refCapable:
			return failed(placement.ErrBusy)
		case !req.AllowFallback:
			return failed(staticErr(s))
		}
		fallback = true
	case req.Mode == placement.Prefer && !strict:
		var prefs []string
		for _, id := range req.Prefer {
			if !avoided(id) {
				prefs = append(prefs, id)
			}
		}
		for _, id := range prefs {
			if statusOf(id) == refEligible {
				return chose(id, placement.ReasonPrefer)
			}
		}
		if !req.AllowFallback {
			if best(refCapable, prefs) == refCapable {
				return failed(placement.ErrBusy)
			}
			return failed(staticErr(best(refCapable, prefs)))
		}
		fallback = true
	}
	if strict {
		if statusOf(req.AffinityPool) == refEligible {
			return chose(req.AffinityPool, placement.ReasonAffinity)
		}
		return failed(placement.ErrBusy)
	}
	var kept, avoidedIDs []string
	for _, p := range pools {
		if avoided(p.ID) {
			avoidedIDs = append(avoidedIDs, p.ID)
		} else {
			kept = append(kept, p.ID)
		}
	}
	cands := kept
	if best(refCapable, kept) < refCapable {
		if !req.AllowFallback || best(refCapable, avoidedIDs) < refCapable {
			s := best(refCapable, kept)
			if req.AllowFallback {
				s = max(s, best(refCapable, avoidedIDs))
			}
			return failed(staticErr(s))
		}
		cands, fallback = avoidedIDs, true
	}
	reason := func(r string) string {
		if fallback {
			return placement.ReasonFallback
		}
		return r
	}
	var eligible []placement.Pool
	for _, p := range pools {
		if slices.Contains(cands, p.ID) && refStatusOf(req, p) == refEligible {
			eligible = append(eligible, p)
		}
	}
	if len(eligible) == 0 {
		return failed(placement.ErrBusy)
	}
	if slices.ContainsFunc(eligible, func(p placement.Pool) bool { return p.ID == req.AffinityPool }) {
		return chose(req.AffinityPool, reason(placement.ReasonAffinity))
	}
	slices.SortFunc(eligible, func(a, b placement.Pool) int {
		la, lb := a.LatencyMs, b.LatencyMs
		if la <= 0 {
			la = 1e300
		}
		if lb <= 0 {
			lb = 1e300
		}
		switch {
		case a.SlotsFree != b.SlotsFree:
			return b.SlotsFree - a.SlotsFree
		case a.QueueDepth != b.QueueDepth:
			return a.QueueDepth - b.QueueDepth
		case la != lb:
			return map[bool]int{true: -1, false: 1}[la < lb]
		}
		return strings.Compare(a.ID, b.ID)
	})
	return chose(eligible[0].ID, reason(placement.ReasonLeastLoaded))
}

// randomCase draws a small cluster and a request from small domains, so that
// every rule and combination comes up often.
func randomCase(rng *rand.Rand) (placement.Request, []placement.Pool) {
	ids := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	pick := func(from []string) string { return from[rng.IntN(len(from))] }
	some := func(from []string) []string {
		var out []string
		for range rng.IntN(3) {
			out = append(out, pick(from))
		}
		return out
	}
	var pools []placement.Pool
	for _, id := range ids[:rng.IntN(len(ids)+1)] {
		pools = append(pools, placement.Pool{
			ID: id, Engine: pick([]string{"e1", "e2"}), Models: some([]string{"m", "x"}),
			DeviceMask: pick([]string{"", "0", "0,1", "1"}), CtxMax: rng.IntN(3) * 100,
			SlotsFree: rng.IntN(4) - 1, QueueDepth: rng.IntN(2), LatencyMs: float64(rng.IntN(3)),
			Online: rng.IntN(8) != 0, Ready: rng.IntN(8) != 0, Draining: rng.IntN(8) == 0,
		})
	}
	rng.Shuffle(len(pools), func(i, j int) { pools[i], pools[j] = pools[j], pools[i] })
	unknown := append(slices.Clone(ids), "zz", "")
	req := placement.Request{
		Model: pick([]string{"m", "m", "x"}), Engine: pick([]string{"", "", "e1"}), Ctx: rng.IntN(3) * 75,
		Mode: placement.Mode(rng.IntN(3)), PinPool: pick(unknown), Prefer: some(unknown), Avoid: some(unknown),
		RequireDeviceMask: pick([]string{"", "", "1", "0,1"}), AllowFallback: rng.IntN(2) == 0,
		AffinityPool: pick(unknown), Strict: rng.IntN(3) == 0,
	}
	return req, pools
}

// allAvailable returns the pools made online, ready, not draining and free.
func allAvailable(pools []placement.Pool) []placement.Pool {
	out := slices.Clone(pools)
	for i := range out {
		out[i].Online, out[i].Ready, out[i].Draining, out[i].SlotsFree = true, true, false, 1
	}
	return out
}

// seeded tags a value with the case's seeds, so a failure names its case.
type seeded struct {
	Seeds [2]uint64
	Value any
}

func checkAgainstReference(is *is.I, seed1, seed2 uint64) {
	req, pools := randomCase(rand.New(rand.NewPCG(seed1, seed2)))
	tag := func(v any) seeded { return seeded{[2]uint64{seed1, seed2}, v} }
	p := placement.New(placement.LeastLoaded)
	got, want := place(p, req, pools), refPlace(req, pools)
	feasible := p.Feasible(req, pools)
	is.Equal(tag(got), tag(want))                                                         // Place agrees with the reference
	is.Equal(tag(feasible), tag(refPlace(req, allAvailable(pools)).Err))                  // Feasible is Place with every pool free
	is.Equal(tag(feasible == nil), tag(want.Err == nil || want.Err == placement.ErrBusy)) // feasible exactly when Place succeeds or waits
}

func TestPlaceMatchesReference(t *testing.T) {
	is := is.New(t)
	for seed := range uint64(20000) {
		checkAgainstReference(is, seed, 42)
	}
}

func FuzzPlaceMatchesReference(f *testing.F) {
	for seed := range uint64(16) {
		f.Add(seed, seed*7+1)
	}
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64) {
		checkAgainstReference(is.New(t), seed1, seed2)
	})
}
