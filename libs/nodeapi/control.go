package nodeapi

import "fmt"

// Control is the orchestrator's own hold on a pool, kept apart from what the
// pool reports: an operator's drain, a reload in progress, and the outcome
// of the last control action the orchestrator carried out itself. It
// survives the node's heartbeats and re-registrations (the pool keeps its
// id) and ends with the pool.
type Control struct {
	Draining  bool   // drained by an operator: no new placements
	Reloading bool   // a reload runs: no new placements, another reload conflicts
	LastError string // why the last control action failed; "" after a success
}

// Held reports whether the control keeps new work off the pool.
func (c Control) Held() bool { return c.Draining || c.Reloading }

// UpdateControl changes the control state of a pool under the registry's
// lock: f gets the current state and modifies it in place. A change counts
// in Version and signals subscribers, so placement sees a drain at once.
// It returns the state f left; ErrUnknownPool when no pool has the id.
func (r *Registry) UpdateControl(poolID string, f func(*Control)) (Control, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pools[poolID]
	if !ok {
		return Control{}, fmt.Errorf("%w: %q", ErrUnknownPool, poolID)
	}
	c := p.control
	f(&c)
	if len(c.LastError) > MaxErrorLen {
		c.LastError = c.LastError[:MaxErrorLen]
	}
	if c != p.control {
		p.control = c
		p.changed = r.nextVersion()
		r.changedLocked()
	}
	return c, nil
}

// Draining reports whether the pool takes no new work because it said so
// (its last report) or because the orchestrator holds it (Control).
func (v *PoolView) Draining() bool {
	return (v.Reported && v.Report.Draining) || v.Control.Held()
}

// LastError is the control failure the orchestrator recorded, else the
// pool's own reported error; both when both are set.
func (v *PoolView) LastError() string {
	switch {
	case v.Control.LastError == "":
		return v.Report.LastError
	case v.Report.LastError == "" || v.Report.LastError == v.Control.LastError:
		return v.Control.LastError
	default:
		return v.Control.LastError + "; " + v.Report.LastError
	}
}
