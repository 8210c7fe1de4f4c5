package nodeapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

const timeout = 15 * time.Second

func TestRegisterAndViews(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))

	replaced, err := r.Register(nodeSpec("n1", "p-b", "p-a"))
	is.NoErr(err)           // register
	is.True(!replaced)      // first registration
	is.Equal(r.Online(), 1) // a registered node is online

	nv, ok := r.Node("n1")
	is.True(ok)                                         // node found
	is.True(nv.Online)                                  // online
	is.Equal(nv.LastHeartbeat, clk.Now())               // registration counts as a heartbeat
	is.Equal(nv.RegisteredAt, clk.Now())                // registration time
	is.Equal(nv.MachineID, "machine-n1")                // spec kept
	is.Equal(poolIDs(nv.Pools), []string{"p-a", "p-b"}) // node pools sorted

	pv, ok := r.Pool("p-a")
	is.True(ok)                       // pool found
	is.Equal(pv.NodeID, "n1")         // owner
	is.True(pv.Online)                // owner online
	is.True(!pv.Reported)             // no report yet
	is.Equal(pv.SlotsTotal, 4)        // spec
	is.Equal(pv.UpdatedAt, clk.Now()) // registration time

	_, err = r.Register(nodeSpec("n0", "p-c"))
	is.NoErr(err)                                               // second node
	is.Equal(poolIDs(r.Pools()), []string{"p-a", "p-b", "p-c"}) // all pools sorted
	is.Equal(nodeIDs(r.Nodes()), []string{"n0", "n1"})          // nodes sorted
	is.Equal(r.Online(), 2)                                     // both online
	_, ok = r.Pool("missing")
	is.True(!ok) // unknown pool
	_, ok = r.Node("missing")
	is.True(!ok) // unknown node
}

func TestRegisterReplacesPools(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	_, err := r.Register(nodeSpec("n1", "p1", "p2"))
	is.NoErr(err)                                                      // register
	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{report("p2", 3)})) // report p2

	clk.Advance(time.Second)
	replaced, err := r.Register(nodeSpec("n1", "p2", "p3"))
	is.NoErr(err)     // re-register
	is.True(replaced) // replaced the node

	is.Equal(poolIDs(r.Pools()), []string{"p2", "p3"}) // p1 left with the old registration
	pv, ok := r.Pool("p2")
	is.True(ok)           // p2 kept its id
	is.True(!pv.Reported) // reports of the old registration are dropped
	nv, _ := r.Node("n1")
	is.Equal(nv.RegisteredAt, clk.Now()) // latest registration time
	is.Equal(r.Online(), 1)              // still one node online
}

func TestDeregister(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	_, err := r.Register(nodeSpec("n1", "p1", "p2"))
	is.NoErr(err) // register n1
	_, err = r.Register(nodeSpec("n2", "p3"))
	is.NoErr(err) // register n2

	is.NoErr(r.Deregister("n1"))                                       // deregister
	is.Equal(poolIDs(r.Pools()), []string{"p3"})                       // n1's pools left
	is.Equal(nodeIDs(r.Nodes()), []string{"n2"})                       // n1 left
	is.Equal(r.Online(), 1)                                            // one node online
	is.True(errors.Is(r.Deregister("n1"), nodeapi.ErrUnknownNode))     // gone
	is.True(errors.Is(r.Heartbeat("n1", nil), nodeapi.ErrUnknownNode)) // heartbeat after deregister

	_, err = r.Register(nodeSpec("n2b", "p1"))
	is.NoErr(err) // a freed pool id can be taken by another node
}

func TestHeartbeatUnknownNode(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	err := r.Heartbeat("ghost", []nodeapi.PoolReport{report("p1", 1)})
	is.True(errors.Is(err, nodeapi.ErrUnknownNode)) // unknown node
	is.Equal(r.Version(), uint64(0))                // nothing changed
}

func TestHeartbeatStoresReports(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	_, err := r.Register(nodeSpec("n1", "p1"))
	is.NoErr(err) // register n1
	_, err = r.Register(nodeSpec("n2", "p2"))
	is.NoErr(err) // register n2

	clk.Advance(time.Second)
	rep := report("p1", 2)
	rep.Draining = true
	rep.LastError = "reload failed: no such model"
	err = r.Heartbeat("n1", []nodeapi.PoolReport{rep, report("p2", 0), report("nope", 0)})
	is.NoErr(err) // heartbeat with one foreign and one unknown pool

	p1, _ := r.Pool("p1")
	is.True(p1.Reported)              // report stored
	is.Equal(p1.Report, rep)          // whole report kept
	is.Equal(p1.UpdatedAt, clk.Now()) // report time
	p2, _ := r.Pool("p2")
	is.True(!p2.Reported) // a node cannot report another node's pool
	nv, _ := r.Node("n1")
	is.Equal(nv.LastHeartbeat, clk.Now()) // heartbeat time
}

func TestExpiry(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	_, err := r.Register(nodeSpec("n1", "p1"))
	is.NoErr(err) // register n1
	_, err = r.Register(nodeSpec("n2", "p2"))
	is.NoErr(err) // register n2

	clk.Advance(timeout / 2)
	is.NoErr(r.Heartbeat("n2", nil)) // n2 keeps beating
	clk.Advance(timeout / 2)
	is.Equal(len(r.Expire()), 0) // exactly the timeout is not older than it

	clk.Advance(time.Millisecond)
	v := r.Version()
	is.Equal(r.Expire(), []string{"n1"}) // n1 missed its heartbeats
	is.True(r.Version() > v)             // going offline is a change
	is.Equal(r.Online(), 1)              // n2 still online
	p1, _ := r.Pool("p1")
	is.True(!p1.Online)          // its pools leave placement at once
	is.Equal(len(r.Expire()), 0) // already offline: no change

	is.NoErr(r.Heartbeat("n1", nil)) // comes back
	p1, _ = r.Pool("p1")
	is.True(p1.Online)      // back online on its next heartbeat
	is.Equal(r.Online(), 2) // both online

	clk.Advance(timeout + time.Millisecond)
	is.Equal(r.Expire(), []string{"n1", "n2"}) // both expire, sorted
	is.Equal(r.Online(), 0)                    // none online
}

func TestStaticNodesNeverExpire(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	local := nodeSpec("local", "home-gpu")
	local.Static = true
	local.Address = ""
	_, err := r.Register(local)
	is.NoErr(err) // register the static node

	clk.Advance(100 * timeout)
	is.Equal(len(r.Expire()), 0) // static nodes never expire
	pv, _ := r.Pool("home-gpu")
	is.True(pv.Online)      // still placeable
	is.Equal(r.Online(), 1) // counted online
}

func TestPoolConflict(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	_, err := r.Register(nodeSpec("n1", "shared"))
	is.NoErr(err) // n1 owns "shared"

	_, err = r.Register(nodeSpec("n2", "own", "shared"))
	is.True(errors.Is(err, nodeapi.ErrPoolConflict)) // another node owns the pool id
	var pc *nodeapi.PoolConflictError
	is.True(errors.As(err, &pc))  // typed error
	is.Equal(pc.PoolID, "shared") // names the pool
	is.Equal(pc.Owner, "n1")      // and its owner
	_, ok := r.Node("n2")
	is.True(!ok) // nothing registered on error
	_, ok = r.Pool("own")
	is.True(!ok) // not even the free pool
}

func TestReport(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	local := nodeSpec("local", "home")
	local.Static = true
	_, err := r.Register(local)
	is.NoErr(err) // static node

	rep := report("", -1)
	is.NoErr(r.Report("home", rep)) // probe result
	pv, _ := r.Pool("home")
	is.True(pv.Reported)               // stored
	is.Equal(pv.Report.PoolID, "home") // pool id filled in
	is.Equal(pv.Report.SlotsFree, -1)  // unknown free slots kept as -1

	is.True(errors.Is(r.Report("nope", rep), nodeapi.ErrUnknownPool))            // unknown pool
	is.True(errors.Is(r.Report("home", report("other", 1)), nodeapi.ErrInvalid)) // mismatched pool id
}

func TestInputIsCopied(t *testing.T) {
	is := is.New(t)
	r := nodeapi.NewRegistry(timeout)
	spec := nodeSpec("n1", "p1")
	_, err := r.Register(spec)
	is.NoErr(err) // register
	spec.Pools[0].Models[0] = "changed"
	spec.GPUs[0].Name = "changed"

	rep := report("p1", 1)
	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{rep})) // heartbeat
	rep.ModelsAvailable[0] = "changed"

	pv, _ := r.Pool("p1")
	is.Equal(pv.Models, []string{"org/model-7b"})                 // spec not aliased
	is.Equal(pv.Report.ModelsAvailable, []string{"org/model-7b"}) // report not aliased
	nv, _ := r.Node("n1")
	is.Equal(nv.GPUs[0].Name, "L4") // GPUs not aliased
}

func TestSubscribeAndVersion(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	ch, cancel := r.Subscribe()
	other, cancelOther := r.Subscribe()
	defer cancelOther()

	_, err := r.Register(nodeSpec("n1", "p1"))
	is.NoErr(err)                    // register
	is.True(signalled(ch))           // registration signals
	is.True(signalled(other))        // every subscriber
	is.Equal(r.Version(), uint64(1)) // one change so far

	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{report("p1", 4)})) // first report
	is.True(signalled(ch))                                             // first report signals

	clk.Advance(time.Second)
	v := r.Version()
	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{report("p1", 4)})) // same report again
	is.True(!signalled(ch))                                            // same state again: no signal
	is.Equal(r.Version(), v)                                           // and no new version

	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{report("p1", 3)})) // a change
	is.NoErr(r.Heartbeat("n1", []nodeapi.PoolReport{report("p1", 2)})) // another change
	is.True(signalled(ch))                                             // changes collapse into one pending signal
	is.True(!signalled(ch))                                            // the buffer holds one
	is.Equal(r.Version(), v+2)                                         // but each change counts

	cancel()
	cancel()                     // idempotent
	is.NoErr(r.Deregister("n1")) // a change after cancel
	is.True(!signalled(ch))      // unsubscribed
	is.True(signalled(other))    // the other subscriber still hears
}
