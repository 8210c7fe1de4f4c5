package e2e

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §5: three nodes, each a node agent next to a simulated engine (real
// processes): they register and heartbeat; one is killed with SIGKILL
// mid-run, goes offline within nodes.timeout_ms, and the work it had not
// started is served by the others, every task ending exactly once; after a
// restart of orchestratord the agents register again by themselves.
func TestClusterNodeLossAndRestart(t *testing.T) {
	is := is.New(t)
	const interval, timeout = 100 * time.Millisecond, 400 * time.Millisecond
	d := newDaemon(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 400}\ndispatch: {retries: 2}\n")
	o := d.start(t)
	a := startNode(t, o.URL, "node-a", "", 2, []string{"tiny"}, "--token-delay", "10ms")
	b := startNode(t, o.URL, "node-b", "", 2, []string{"tiny"}, "--first-token-delay", "30s")
	c := startNode(t, o.URL, "node-c", "", 2, []string{"tiny"}, "--token-delay", "10ms")
	waitReady(t, o, []string{"node-a-0", "node-b-0", "node-c-0"})
	nodes := decode[[]wire.Node](t, mustCall(t, "GET", o.URL+"/v2/nodes", nil, 200))
	is.Equal(len(nodes), 3) // three nodes registered
	for _, n := range nodes {
		is.Equal(n.Status, wire.NodeOnline) // each online
		is.True(n.Address != "")            // with its agent's control address
	}

	// 12 tasks on 6 slots: node-b's engine takes two and never produces a
	// first token (a slow prompt), the rest run or queue.
	const n = 12
	var wg sync.WaitGroup
	results := make([][]frame, n)
	ids := make([]string, n)
	for i := range n {
		adm := admit(t, o, task(`,"max_tokens":8`))
		ids[i] = adm.TaskID
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			results[i], _ = sse(ctx, o.URL+adm.Streams.SSE)
		})
	}
	waitFor(t, 5*time.Second, "node-b's engine holding work", func() bool { return simStats(t, b.Sim).Active > 0 })

	killed := time.Now()
	kill9(t, b.Agent)
	kill9(t, b.Sim)
	var offline wire.Node
	waitFor(t, 5*time.Second, "node-b offline", func() bool {
		offline = decode[wire.Node](t, mustCall(t, "GET", o.URL+"/v2/nodes/node-b", nil, 200))
		return offline.Status == wire.NodeOffline
	})
	// The configured timeout, not the 15 s default, took it offline: well
	// within 2 s of the kill (a bound loose enough for a loaded machine),
	// and not before the timeout had passed since its last heartbeat.
	is.True(time.Since(killed) < timeout+2*time.Second)                              // offline soon after the kill
	is.True(time.Since(time.UnixMilli(offline.LastHeartbeatMs)) >= timeout-interval) // not before its timeout
	wg.Wait()

	served := map[string]int{}
	for i, frames := range results {
		end := terminal(t, frames)         // exactly one terminal frame per task
		is.Equal(end.Event, wire.EventEnd) // nobody saw an error: node-b's work moved
		var ef wire.EndFrame
		is.NoErr(json.Unmarshal(end.Data, &ef))
		is.True(!ef.Canceled) // completed
		st := status(t, o, ids[i])
		is.Equal(st.State, wire.TaskCompleted) // completed
		is.True(st.PoolID != "node-b-0")       // on a surviving node
		served[st.PoolID]++
	}
	is.Equal(served["node-a-0"]+served["node-c-0"], n)                               // all served
	is.Equal(int(simStats(t, a.Sim).Started+simStats(t, c.Sim).Started), n)          // each once on the survivors: none duplicated
	is.Equal(int(simStats(t, a.Sim).Completed)+int(simStats(t, c.Sim).Completed), n) // and completed there

	// Restart orchestratord on the same port and data dir: the agents
	// register again by themselves (their heartbeat gets 404, or the
	// connection fails and they back off briefly).
	o.Stop(t)
	o = d.start(t)
	restarted := time.Now()
	waitFor(t, 5*time.Second, "agents re-registered", func() bool {
		nodes := decode[[]wire.Node](t, mustCall(t, "GET", o.URL+"/v2/nodes", nil, 200))
		online := 0
		for _, n := range nodes {
			if n.Status == wire.NodeOnline {
				online++
			}
		}
		return online == 2
	})
	is.True(time.Since(restarted) < 10*interval) // by themselves, promptly: ten heartbeat intervals, loose enough for a loaded machine
	waitReady(t, o, []string{"node-a-0", "node-c-0"})
	frames := stream(t, o, admit(t, o, task(`,"max_tokens":4`)))
	is.Equal(lastFrame(t, frames).Event, wire.EventEnd) // and serve again
}
