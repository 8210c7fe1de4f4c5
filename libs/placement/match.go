package placement

import (
	"math"
	"strings"
)

// fits reports whether a pool that lists the model also runs the requested
// engine and has the requested devices.
func fits(req *Request, pl *Pool) bool {
	return (req.Engine == "" || pl.Engine == req.Engine) &&
		(req.RequireDeviceMask == "" || maskCovers(pl.DeviceMask, req.RequireDeviceMask))
}

// readiness rates a pool that matches model, engine and devices.
func readiness(req *Request, pl *Pool) status {
	switch {
	case req.Ctx > 0 && pl.CtxMax > 0 && req.Ctx > pl.CtxMax:
		return ctxTooSmall
	case !available(pl):
		return capable
	default:
		return eligible
	}
}

// lessLoaded reports whether a is less loaded than b: more free slots, then
// a shorter queue, then a lower latency (a known latency beats an unknown
// one), then the lower ID.
func lessLoaded(a, b *Pool) bool {
	if a.SlotsFree != b.SlotsFree {
		return a.SlotsFree > b.SlotsFree
	}
	if a.QueueDepth != b.QueueDepth {
		return a.QueueDepth < b.QueueDepth
	}
	if la, lb := latency(a), latency(b); la != lb {
		return la < lb
	}
	return a.ID < b.ID
}

// latency is a pool's latency for comparison; unknown (≤ 0 or NaN) sorts
// after every known latency.
func latency(p *Pool) float64 {
	if p.LatencyMs > 0 {
		return p.LatencyMs
	}
	return math.Inf(1)
}

// listed reports whether s is in list.
func listed(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// indexID returns the position of pool ID id in list, or -1.
func indexID(list []string, id string) int {
	for i, v := range list {
		if sameID(v, id) {
			return i
		}
	}
	return -1
}

// sameID is a == b for pool IDs, faster when they differ: IDs in a cluster
// usually have equal lengths and a common prefix, and differ at the end.
func sameID(a, b string) bool {
	return len(a) == len(b) && (len(a) == 0 || a[len(a)-1] == b[len(a)-1]) && a == b
}

// maskCovers reports whether every device index listed in want (comma
// separated, spaces ignored) is listed in have.
func maskCovers(have, want string) bool {
	for want != "" {
		var dev string
		dev, want, _ = strings.Cut(want, ",")
		if dev = strings.TrimSpace(dev); dev != "" && !maskHas(have, dev) {
			return false
		}
	}
	return true
}

// maskHas reports whether the comma separated mask lists dev.
func maskHas(mask, dev string) bool {
	for mask != "" {
		var d string
		d, mask, _ = strings.Cut(mask, ",")
		if strings.TrimSpace(d) == dev {
			return true
		}
	}
	return false
}
