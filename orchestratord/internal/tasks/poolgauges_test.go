package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// series returns the value of the series of family name whose pool_id is
// pool (and, when given, whose outcome is outcome), and whether it exists.
func series(t *testing.T, g prometheus.Gatherer, name, pool string, outcome ...string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"pool_id": pool}
	if len(outcome) > 0 {
		want["outcome"] = outcome[0]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			matched := 0
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
					matched++
				}
			}
			if matched == len(want) {
				return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPoolSeriesFollowRegistryAndLeases(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 2))
	value := func(name, pool string) float64 {
		v, ok := series(t, h.metrics, name, pool)
		if !ok {
			return -1
		}
		return v
	}
	is.Equal(value("orchd_pool_ready", "p1"), 1.0)      // reported ready before Start
	is.Equal(value("orchd_pool_slots_free", "p1"), 2.0) // every slot free
	is.Equal(value("orchd_active_leases", "p1"), 0.0)   // none leased

	adm, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	is.Equal(value("orchd_active_leases", "p1"), 1.0)   // the task holds a slot
	is.Equal(value("orchd_pool_slots_free", "p1"), 1.0) // one left

	// A node registers a pool: its series appear with the registry change,
	// while nothing is queued.
	_, err = h.reg.Register(nodeapi.NodeSpec{NodeID: "n2", Pools: []nodeapi.PoolSpec{pool("p2", 3)}})
	is.NoErr(err)
	eventually(t, "p2 published", func() bool { return value("orchd_pool_slots_free", "p2") == 3 })
	is.Equal(value("orchd_pool_ready", "p2"), 0.0) // not ready until reported
	is.NoErr(h.reg.Heartbeat("n2", []nodeapi.PoolReport{{PoolID: "p2", Ready: true, SlotsFree: -1}}))
	eventually(t, "p2 ready", func() bool { return value("orchd_pool_ready", "p2") == 1 })
	is.NoErr(h.reg.Report("p1", nodeapi.PoolReport{PoolID: "p1", Ready: true, Draining: true, SlotsFree: -1}))
	eventually(t, "p1 draining", func() bool { return value("orchd_pool_ready", "p1") == 0 })

	// The node leaves: its pool's series go with it.
	is.NoErr(h.reg.Deregister("n2"))
	eventually(t, "p2 forgotten", func() bool { return value("orchd_pool_slots_free", "p2") == -1 })
	is.Equal(value("orchd_pool_ready", "p2"), -1.0)    // gone
	is.Equal(value("orchd_active_leases", "p2"), -1.0) // gone

	is.NoErr(h.svc.Cancel(context.Background(), adm.TaskID))
	eventually(t, "lease returned", func() bool { return value("orchd_active_leases", "p1") == 0 })
	is.Equal(value("orchd_pool_slots_free", "p1"), 2.0) // both slots free again
}

// TestPoolThatLeavesDuringARetry: two tasks run on a pool that leaves the
// registry; one of them then fails before its first token and its retry finds
// no pool. It fails, its lease is returned exactly once (the other task keeps
// its own), and the pool's series are forgotten only when the last lease is
// returned, after the counts were recorded.
func TestPoolThatLeavesDuringARetry(t *testing.T) {
	is := is.New(t)
	left := make(chan struct{})
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(ctx context.Context, r engine.Request, emit func([]string) error) (engine.Result, error) {
		if r.Prompt == "hold" {
			return blocking(ctx, r, emit)
		}
		<-left
		return engine.Result{}, &engine.Error{Kind: engine.KindUnavailable}
	}}
	h := newHarness(t, Options{Retries: 2}, fakeEngines{"p1": eng, "p2": eng}, pool("p1", 1))
	_, err := h.reg.Register(nodeapi.NodeSpec{NodeID: "n2", Pools: []nodeapi.PoolSpec{pool("p2", 2)}})
	is.NoErr(err)
	is.NoErr(h.reg.Heartbeat("n2", []nodeapi.PoolReport{{PoolID: "p2", Ready: true, SlotsFree: -1}}))
	pinned := func(prompt string) func(*wire.TaskRequest) {
		return func(r *wire.TaskRequest) {
			r.Prompt = prompt
			r.Placement = &wire.PlacementRequest{Mode: wire.PlacementPin, PinPoolID: "p2", AllowFallback: new(false)}
		}
	}
	holder, err := h.svc.Admit(context.Background(), req(pinned("hold")))
	is.NoErr(err)
	failing, err := h.svc.Admit(context.Background(), req(pinned("fail")))
	is.NoErr(err)
	eventually(t, "both in the engine on p2", func() bool { return h.svc.Leases("p2") == 2 && eng.Calls() == 2 })
	is.NoErr(h.reg.Deregister("n2"))
	close(left)

	ev, _ := endOf(t, waitEnd(t, h, failing.TaskID))
	is.Equal(ev, "error") // no pool can serve the pinned task any more
	eventually(t, "the failed task's lease returned", func() bool { return h.svc.Leases("p2") == 1 })
	// The outcome is counted right after the terminal frame is written.
	eventually(t, "the failure counted", func() bool {
		v, ok := series(t, h.metrics, "orchd_tasks_completed_total", "p2", "failed")
		return ok && v == 1 // the gone pool's series stay while a task runs there
	})
	v, _ := series(t, h.metrics, "orchd_active_leases", "p2")
	is.Equal(v, 1.0) // the holder's lease

	is.NoErr(h.svc.Cancel(context.Background(), holder.TaskID))
	eventually(t, "p2 forgotten", func() bool {
		_, ok := series(t, h.metrics, "orchd_active_leases", "p2")
		return !ok && h.svc.Leases("p2") == 0
	})
	_, ok := series(t, h.metrics, "orchd_tasks_completed_total", "p2")
	is.True(!ok) // no series of the gone pool came back
}
