package nodeapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// applied is prev brought up to date with the changed views of PoolsSince.
func applied(prev, changed []nodeapi.PoolView) []nodeapi.PoolView {
	out := slices.Clone(prev)
	for _, c := range changed {
		for i := range out {
			if out[i].PoolID == c.PoolID {
				out[i] = c
			}
		}
	}
	return out
}

// withoutTimes clears what PoolsSince does not report as a change: the
// time of a report that repeats the last one.
func withoutTimes(vs []nodeapi.PoolView) []nodeapi.PoolView {
	out := slices.Clone(vs)
	for i := range out {
		out[i].UpdatedAt = time.Time{}
	}
	return out
}

// TestPoolsSince: after every kind of change, the views PoolsSince returns
// bring a copy of Pools up to date — only the pools that changed, or every
// pool (full) when the set of pools changed.
func TestPoolsSince(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(time.Second, nodeapi.WithClock(clk.Now))
	_, err := r.Register(nodeapi.NodeSpec{NodeID: "a", Pools: []nodeapi.PoolSpec{poolSpec("a0"), poolSpec("a1")}})
	is.NoErr(err)
	_, err = r.Register(nodeapi.NodeSpec{NodeID: "b", Pools: []nodeapi.PoolSpec{poolSpec("b0")}})
	is.NoErr(err)

	views, v, full := r.PoolsSince(0)
	is.True(full)              // from nothing: every pool
	is.Equal(len(views), 3)    // a0, a1, b0
	is.Equal(v, r.Version())   // as of now
	is.Equal(views, r.Pools()) // as Pools says

	steps := []struct {
		name    string
		change  func() error
		changed []string // the pools reported, nil for none
		full    bool
	}{
		{"a report that differs", func() error {
			return r.Report("a1", nodeapi.PoolReport{Ready: true, SlotsFree: 2})
		}, []string{"a1"}, false},
		{"the same report again", func() error {
			clk.Advance(time.Millisecond)
			return r.Report("a1", nodeapi.PoolReport{Ready: true, SlotsFree: 2})
		}, nil, false},
		{"a heartbeat that changes one of two reports", func() error {
			return r.Heartbeat("a", []nodeapi.PoolReport{{PoolID: "a0", Ready: true, SlotsFree: 4}, {PoolID: "a1", Ready: true, SlotsFree: 2}})
		}, []string{"a0"}, false},
		{"a node going offline", func() error {
			clk.Advance(2 * time.Second)
			is.NoErr(r.Heartbeat("b", nil))
			r.Expire()
			return nil
		}, []string{"a0", "a1"}, false},
		{"a node back online", func() error {
			return r.Heartbeat("a", nil)
		}, []string{"a0", "a1"}, false},
		{"a drain", func() error {
			_, err := r.UpdateControl("b0", func(c *nodeapi.Control) { c.Draining = true })
			return err
		}, []string{"b0"}, false},
		{"a node registering", func() error {
			_, err := r.Register(nodeapi.NodeSpec{NodeID: "c", Pools: []nodeapi.PoolSpec{poolSpec("c0")}})
			return err
		}, []string{"a0", "a1", "b0", "c0"}, true},
		{"a node leaving", func() error { return r.Deregister("b") }, []string{"a0", "a1", "c0"}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			is := is.New(t)
			before, since := r.Pools(), r.Version()
			is.NoErr(st.change())
			views, v, full := r.PoolsSince(since)
			is.Equal(v, r.Version()) // the version the views reflect
			is.Equal(full, st.full)  // full only when the set of pools changed
			var ids []string
			for _, pv := range views {
				ids = append(ids, pv.PoolID)
			}
			is.Equal(ids, st.changed) // exactly the pools that changed
			if !full {
				is.Equal(withoutTimes(applied(before, views)), withoutTimes(r.Pools())) // bring a copy up to date
			}
		})
	}
}
