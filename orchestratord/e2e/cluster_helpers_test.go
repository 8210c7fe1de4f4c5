package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Helpers for the cloud-profile tests: node agents next to simulated
// engines, a daemon that can be restarted on the same port and data dir,
// and pool lookups.

// simNode is one simulated GPU node: a node agent and its engine, both
// real processes.
type simNode struct {
	ID    string
	Sim   *proc
	Agent *proc
}

// agentEngine is one engine an agent registers.
type agentEngine struct {
	PoolID, Engine, URL string
	Models              []string
	Slots               int
}

// startAgent runs a node agent for nodeID against the daemon at orch, with
// a short backoff so it finds a restarted daemon quickly.
func startAgent(t *testing.T, orch, nodeID, token string, engines ...agentEngine) *proc {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "orchestrator: %q\nnode_id: %s\nmachine_id: m-%s\nlisten: 127.0.0.1:0\n", orch, nodeID, nodeID)
	fmt.Fprintf(&b, "token: %q\nbackoff_base: 20ms\nbackoff_max: 100ms\nrequest_timeout: 2s\nprobe_timeout: 1s\nshutdown_timeout: 2s\nengines:\n", token)
	for _, e := range engines {
		fmt.Fprintf(&b, "  - {pool_id: %s, engine: %s, url: %q, models: [%s], slots: %d}\n",
			e.PoolID, e.Engine, e.URL, strings.Join(e.Models, ", "), e.Slots)
	}
	cfg := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, bins.agent, nil, "--config", cfg)
}

// startNode starts a simulated engine serving models and an agent that
// registers it as pool <id>-0.
func startNode(t *testing.T, orch, id, token string, slots int, models []string, simArgs ...string) simNode {
	t.Helper()
	args := append([]string{"--slots", fmt.Sprint(slots), "--model", strings.Join(models, ",")}, simArgs...)
	sim := startSim(t, args...)
	agent := startAgent(t, orch, id, token, agentEngine{PoolID: id + "-0", Engine: "llamacpp", URL: sim.URL, Models: models, Slots: slots})
	return simNode{ID: id, Sim: sim, Agent: agent}
}

// kill9 kills a process with SIGKILL and waits for it.
func kill9(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// daemon is an orchestratord that can be restarted with the same config,
// data dir and address.
type daemon struct {
	cfg  string
	addr string
	env  []string
}

// newDaemon writes yaml (plus a data dir) into a config file.
func newDaemon(t *testing.T, yaml string, env ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "orchd.yaml")
	body := yaml + "\ndata_dir: " + filepath.Join(dir, "data") + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return &daemon{cfg: cfg, addr: "127.0.0.1:0", env: env}
}

// start runs the daemon and waits for /readyz; later starts reuse the
// first start's port.
func (d *daemon) start(t *testing.T) *proc {
	t.Helper()
	p := start(t, bins.orchd, d.env, "--addr", d.addr, "--config", d.cfg, "--log-level", "debug")
	d.addr = strings.TrimPrefix(p.URL, "http://")
	waitFor(t, 10*time.Second, "ready", func() bool {
		resp, err := http.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// listPools is GET /v2/pools.
func listPools(t *testing.T, o *proc, headers ...string) map[string]wire.Pool {
	t.Helper()
	raw := mustCall(t, "GET", o.URL+"/v2/pools", nil, 200, headers...)
	out := map[string]wire.Pool{}
	for _, p := range decode[[]wire.Pool](t, raw) {
		out[p.PoolID] = p
	}
	return out
}

// poolHealth is GET /v2/pools/{id}/health.
func poolHealth(t *testing.T, o *proc, id string, headers ...string) wire.PoolHealth {
	t.Helper()
	return decode[wire.PoolHealth](t, mustCall(t, "GET", o.URL+"/v2/pools/"+id+"/health", nil, 200, headers...))
}

// waitReady waits until every pool is live, ready and not draining.
func waitReady(t *testing.T, o *proc, ids []string, headers ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, "pools ready: "+strings.Join(ids, ","), func() bool {
		pools := listPools(t, o, headers...)
		for _, id := range ids {
			if p := pools[id]; !p.Live || !p.Ready || p.Draining {
				return false
			}
		}
		return true
	})
}

// terminal is the one terminal frame of a stream; it fails the test when a
// stream has none or more than one.
func terminal(t *testing.T, frames []frame) frame {
	t.Helper()
	var ends []frame
	for _, f := range frames {
		if f.Event == wire.EventEnd || f.Event == wire.EventError {
			ends = append(ends, f)
		}
	}
	if len(ends) != 1 {
		t.Fatalf("%d terminal frames in %v", len(ends), frames)
	}
	return ends[0]
}

// statusWith is GET /v2/tasks/{id} with headers (a token).
func statusWith(t *testing.T, o *proc, id string, headers ...string) wire.TaskStatus {
	t.Helper()
	return decode[wire.TaskStatus](t, mustCall(t, "GET", o.URL+"/v2/tasks/"+id, nil, 200, headers...))
}
