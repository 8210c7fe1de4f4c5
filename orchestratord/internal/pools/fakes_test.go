package pools

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

// fakeTasks records CancelOnPool calls; leases are set by the test.
type fakeTasks struct {
	mu       sync.Mutex
	leases   map[string]int
	canceled []string
}

func (f *fakeTasks) Leases(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leases[id]
}

func (f *fakeTasks) setLeases(id string, n int) {
	f.mu.Lock()
	f.leases[id] = n
	f.mu.Unlock()
}

func (f *fakeTasks) QueuedFor(string, []string) int { return 3 }
func (f *fakeTasks) TokensPerS(string) float64      { return 42 }

func (f *fakeTasks) CancelOnPool(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canceled = append(f.canceled, id)
	return 1
}

func (f *fakeTasks) Canceled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.canceled...)
}

// agentCall is one recorded call to a node agent.
type agentCall struct{ Address, Pool, Action string }

// fakeAgents records calls and answers with err.
type fakeAgents struct {
	mu    sync.Mutex
	calls []agentCall
	err   error
}

func (f *fakeAgents) Send(_ context.Context, address, poolID, action string, _ any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, agentCall{address, poolID, action})
	return f.err
}

func (f *fakeAgents) Calls() []agentCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]agentCall(nil), f.calls...)
}

// fixture is a service over a real registry with a static node "static"
// (pool st-0) and an agent node "n1" (pool n1-0) at http://agent.
type fixture struct {
	svc    *Service
	reg    *nodeapi.Registry
	tasks  *fakeTasks
	agents *fakeAgents
	cancel context.CancelFunc
	done   chan struct{}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	reg := nodeapi.NewRegistry(time.Minute)
	pool := func(id string) nodeapi.PoolSpec {
		return nodeapi.PoolSpec{PoolID: id, Engine: nodeapi.EngineLlamaCPP, URL: "http://127.0.0.1:1", Models: []string{"tiny"}, SlotsTotal: 2}
	}
	if _, err := reg.Register(nodeapi.NodeSpec{NodeID: "static", Static: true, Pools: []nodeapi.PoolSpec{pool("st-0")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(nodeapi.NodeSpec{NodeID: "n1", Address: "http://agent", Pools: []nodeapi.PoolSpec{pool("n1-0")}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"st-0", "n1-0"} {
		if err := reg.Report(id, nodeapi.PoolReport{Ready: true, SlotsFree: -1}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{reg: reg, tasks: &fakeTasks{leases: map[string]int{}}, agents: &fakeAgents{}, done: make(chan struct{})}
	var err error
	f.svc, err = New(Options{PollEvery: time.Millisecond, ReloadWait: 2 * time.Second}, Deps{
		Registry: reg, Tasks: f.tasks, Agents: f.agents, Log: zerolog.Nop(),
		Mapper: func(v nodeapi.PoolView) wire.Pool { return echohttp.PoolToWire(v, f.tasks.Leases(v.PoolID)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() { f.svc.Run(ctx); close(f.done) }()
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) stop() {
	f.cancel()
	<-f.done
}

func (f *fixture) control(t *testing.T, id string) nodeapi.Control {
	t.Helper()
	v, ok := f.reg.Pool(id)
	if !ok {
		t.Fatalf("pool %s gone", id)
	}
	return v.Control
}

// waitFor polls cond until it holds or a second passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
