package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/placement"
)

// checkPoolCache fails t when a cached pool's free slots or latency differ
// from what the leases, the last reports and the measured TTFTs give now:
// the cache is updated where those change, never recomputed per call.
// Every harness checks it before it shuts down.
func checkPoolCache(t testing.TB, s *Service) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pools.built || s.deps.Pools.Version() != s.pools.version {
		return // a registry change not yet seen: the next call rebuilds
	}
	// The views kept up to date change by change are the registry's now
	// (report times aside: a repeated report is not a change).
	all, _, _ := s.deps.Pools.PoolsSince(0)
	if len(all) != len(s.pools.views) {
		t.Fatalf("cache holds %d pools, the registry %d", len(s.pools.views), len(all))
	}
	for i, v := range all {
		got := s.pools.views[i]
		got.UpdatedAt, v.UpdatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("cached view %+v, registry %+v", got, v)
		}
		p := s.pools.pools[i]
		want := placement.Pool{
			ID: v.PoolID, NodeID: v.NodeID, Engine: v.Engine, Models: models(v),
			DeviceMask: v.DeviceMask, CtxMax: v.CtxMax, SlotsTotal: v.SlotsTotal, SlotsFree: p.SlotsFree,
			Online: v.Online, Ready: v.Reported && v.Report.Ready, Draining: v.Draining(), LatencyMs: p.LatencyMs,
		}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("cached pool %+v, want %+v", p, want)
		}
	}
	total := 0
	for _, p := range s.pools.pools {
		free := max(p.SlotsTotal-s.leases[p.ID]-s.pools.external[p.ID], 0)
		if p.SlotsFree != free || p.LatencyMs != s.stats.ttftMs(p.ID) {
			t.Errorf("pool %s cached free %d latency %v, want %d and %v", p.ID, p.SlotsFree, p.LatencyMs, free, s.stats.ttftMs(p.ID))
		}
		if takesWork(&p) {
			total += free
		}
	}
	if s.pools.free != total {
		t.Errorf("cached free slots %d, want %d", s.pools.free, total)
	}
}

// checkPoolSeries fails t when a registered pool's series (ready, free
// slots, leases) differ from what placement sees: a registry change sets
// only the series whose values changed, so a missed update would stay.
func checkPoolSeries(t testing.TB, s *Service, g prometheus.Gatherer) {
	t.Helper()
	// The pool series change only under s.mu: hold it so that tasks still
	// ending do not move them between the gather and the comparison.
	s.mu.Lock()
	defer s.mu.Unlock()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{} // name + "/" + pool → value
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "pool_id" {
					got[mf.GetName()+"/"+l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	if !s.pools.built || s.deps.Pools.Version() != s.pools.version {
		return
	}
	for i := range s.pools.pools {
		p := &s.pools.pools[i]
		ready := 0.0
		if takesWork(p) {
			ready = 1
		}
		want := map[string]float64{"orchd_pool_ready": ready, "orchd_pool_slots_free": float64(p.SlotsFree),
			"orchd_active_leases": float64(s.leases[p.ID])}
		for name, v := range want {
			if got[name+"/"+p.ID] != v {
				t.Errorf("%s{pool_id=%q} = %v, want %v", name, p.ID, got[name+"/"+p.ID], v)
			}
		}
	}
}

// TestRetryWithNoRoomKeepsTheLeaseCount: a task that fails before its first
// token, finds every other pool busy and no room left in the queue fails on
// the pool it held, and that pool's lease count drops by exactly one (it
// dropped by two, freeing a slot another task still used).
func TestRetryWithNoRoomKeepsTheLeaseCount(t *testing.T) {
	is := is.New(t)
	release := make(chan struct{})
	// On a, the task asking for "fail" fails before its first token once
	// released; the others stream until canceled.
	a := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error) {
		if req.Prompt == "fail" {
			<-release
			return engine.Result{}, &engine.Error{Kind: engine.KindUnavailable, Status: 503}
		}
		return blocking(ctx, req, emit)
	}}
	b := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{Retries: 2, QueueCapacity: 1}, fakeEngines{"a": a, "b": b}, pool("a", 2), pool("b", 1))
	ctx := context.Background()
	pin := func(id string) func(*wire.TaskRequest) {
		return func(r *wire.TaskRequest) {
			r.Placement = &wire.PlacementRequest{Mode: wire.PlacementPin, PinPoolID: id}
		}
	}
	_, err := h.svc.Admit(ctx, req(pin("a"))) // holds a slot of a to the end
	is.NoErr(err)
	_, err = h.svc.Admit(ctx, req(pin("b"))) // fills b
	is.NoErr(err)
	failing, err := h.svc.Admit(ctx, req(func(r *wire.TaskRequest) { r.Prompt = "fail" })) // a's last slot
	is.NoErr(err)
	eventually(t, "two leases on a", func() bool { return h.svc.Leases("a") == 2 })
	queued, err := h.svc.Admit(ctx, req(nil)) // fills the queue
	is.NoErr(err)
	is.Equal(queued.QueuePosition, 0) // waiting

	close(release)
	ev, _ := endOf(t, waitEnd(t, h, failing.TaskID))
	is.Equal(ev, "error") // failed on a: b busy, no room to queue again
	eventually(t, "the queued task on a", func() bool {
		st, err := h.svc.Status(ctx, queued.TaskID)
		return err == nil && st.State == wire.TaskRunning
	})
	is.Equal(h.svc.Leases("a"), 2) // the first task and the queued one, not one
	checkPoolCache(t, h.svc)
}

// registerCluster registers 1,000 nodes of 8 pools of 4 slots each, ready,
// with slotsFree as every pool's reported free slots (-1: unknown).
func registerCluster(b *testing.B, reg *nodeapi.Registry, slotsFree int) {
	for n := range 1000 {
		spec := nodeapi.NodeSpec{NodeID: fmt.Sprintf("n%04d", n), Static: true}
		for p := range 8 {
			spec.Pools = append(spec.Pools, pool(fmt.Sprintf("n%04d-%d", n, p), 4))
		}
		if _, err := reg.Register(spec); err != nil {
			b.Fatal(err)
		}
		for _, p := range spec.Pools {
			if err := reg.Report(p.PoolID, nodeapi.PoolReport{PoolID: p.PoolID, Ready: true, SlotsFree: slotsFree}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestQueuedTaskFailsWhenItsLastPoolLeaves: with every slot busy, the
// dispatcher's walk after a registry change fails the queued tasks no
// registered pool can serve any more (POOL_UNAVAILABLE) and keeps the
// others queued.
func TestQueuedTaskFailsWhenItsLastPoolLeaves(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{}, fakeEngines{"a": eng, "z": eng}, pool("a", 1))
	zpool := pool("z", 1)
	zpool.Models = []string{"zm"}
	_, err := h.reg.Register(nodeapi.NodeSpec{NodeID: "n2", Pools: []nodeapi.PoolSpec{zpool}})
	is.NoErr(err)
	is.NoErr(h.reg.Heartbeat("n2", []nodeapi.PoolReport{{PoolID: "z", Ready: true, SlotsFree: -1}}))
	ctx := context.Background()
	model := func(m string) func(*wire.TaskRequest) { return func(r *wire.TaskRequest) { r.ModelRef = m } }
	_, err = h.svc.Admit(ctx, req(nil)) // runs on a
	is.NoErr(err)
	_, err = h.svc.Admit(ctx, req(model("zm"))) // runs on z
	is.NoErr(err)
	eventually(t, "a and z busy", func() bool { return h.svc.Leases("a") == 1 && h.svc.Leases("z") == 1 })
	orphan, err := h.svc.Admit(ctx, req(nil)) // waits for a
	is.NoErr(err)
	waiting, err := h.svc.Admit(ctx, req(model("zm"))) // waits for z
	is.NoErr(err)

	is.NoErr(h.reg.Deregister("n1")) // a leaves: nothing serves model m now
	ev, data := endOf(t, waitEnd(t, h, orphan.TaskID))
	is.Equal(ev, "error") // failed in the queue
	var ef wire.ErrorFrame
	is.NoErr(json.Unmarshal(data, &ef))
	is.Equal(ef.Code, wire.CodePoolUnavailable) // POOL_UNAVAILABLE
	st, err := h.svc.Status(ctx, waiting.TaskID)
	is.NoErr(err)
	is.Equal(st.State, wire.TaskQueued) // z can still serve it
}

// BenchmarkRefreshPools8000 is the pool view handed to placement on every
// admission and every start, with 1,000 nodes of 8 pools registered.
func BenchmarkRefreshPools8000(b *testing.B) {
	h := newHarness(b, Options{}, fakeEngines{})
	registerCluster(b, h.reg, -1)
	s := h.svc
	s.mu.Lock()
	n := len(s.refreshPoolsLocked())
	s.mu.Unlock()
	if n != 8000 {
		b.Fatalf("%d pools", n)
	}
	for b.Loop() {
		s.mu.Lock()
		s.refreshPoolsLocked()
		s.mu.Unlock()
	}
}

// BenchmarkAdmitQueued8000 is one POST /v2/tasks into the queue of a
// cluster of 1,000 nodes × 8 pools whose every slot is busy with other
// work: validation, feasibility, the start estimate, the dispatcher's look
// for a free slot.
func BenchmarkAdmitQueued8000(b *testing.B) {
	h := newHarness(b, Options{QueueCapacity: 1 << 22}, fakeEngines{})
	registerCluster(b, h.reg, 0)
	ctx := context.Background()
	r := req(nil)
	i := 0
	for b.Loop() {
		i++
		r.TaskID = "t" + strconv.Itoa(i)
		if _, err := h.svc.Admit(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFullDispatchPass8000 is the dispatcher's walk of a queue of 256
// tasks after a registry change (a heartbeat that changed a report) in a
// cluster of 1,000 nodes × 8 pools whose every slot is busy: it looks for
// tasks no pool can serve any more.
func BenchmarkFullDispatchPass8000(b *testing.B) {
	h := newHarness(b, Options{QueueCapacity: 1024}, fakeEngines{})
	registerCluster(b, h.reg, 0)
	ctx := context.Background()
	r := req(nil)
	for i := range 256 {
		r.TaskID = "t" + strconv.Itoa(i)
		if _, err := h.svc.Admit(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	s := h.svc
	for b.Loop() {
		s.mu.Lock()
		s.syncPoolsLocked()
		starts, dead := s.dispatchLocked(true)
		s.mu.Unlock()
		if len(starts)+len(dead) != 0 {
			b.Fatalf("%d started, %d dead", len(starts), len(dead))
		}
	}
}

// BenchmarkRegistryChange8000 is what one changed pool report costs the task
// service with 1,000 nodes × 8 pools: the rebuild of the pool view and the
// republished pool series.
func BenchmarkRegistryChange8000(b *testing.B) {
	h := newHarness(b, Options{}, fakeEngines{})
	registerCluster(b, h.reg, -1)
	s := h.svc
	free := 0
	for b.Loop() {
		free = 3 - free // alternate between two reports, so that each is a change
		if err := h.reg.Report("n0000-0", nodeapi.PoolReport{PoolID: "n0000-0", Ready: true, SlotsFree: free}); err != nil {
			b.Fatal(err)
		}
		s.mu.Lock()
		s.syncPoolsLocked()
		s.mu.Unlock()
	}
}
