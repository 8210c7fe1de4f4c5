package e2e

import (
	"runtime"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §8: discovery. The suite's build stamps the binary the way `make
// build` does (-ldflags -X on internal/buildinfo), with values this test
// recognises.
const (
	e2eCommit    = "e2e0commit"
	e2eBuildTime = "2030-01-02T03:04:05Z"
	buildinfoPkg = "github.com/orchestratord/orchestratord/orchestratord/internal/buildinfo"
	e2eLDFlags   = "-X " + buildinfoPkg + ".Commit=" + e2eCommit + " -X " + buildinfoPkg + ".Time=" + e2eBuildTime
)

func TestVersionFromLinkerFlags(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "", nil)
	v := decode[wire.Version](t, mustCall(t, "GET", o.URL+"/v2/meta/version", nil, 200))
	is.Equal(v.APIVersion, wire.APIVersion)  // the contract's version
	is.Equal(v.BuildCommit, e2eCommit)       // set by -ldflags
	is.Equal(v.BuildTime, e2eBuildTime)      // set by -ldflags
	is.Equal(v.GoVersion, runtime.Version()) // the toolchain that built it (the test's own)
}

// engineSummary is the part of a capability the registered pools decide.
type engineSummary struct {
	Engine      wire.Engine
	CtxMax      int
	Concurrency int
	Workloads   []wire.Workload
}

func capabilities(t *testing.T, o *proc) []engineSummary {
	t.Helper()
	c := decode[wire.Capabilities](t, mustCall(t, "GET", o.URL+"/v2/meta/capabilities", nil, 200))
	out := []engineSummary{}
	for _, e := range c.Engines {
		out = append(out, engineSummary{e.Engine, e.CtxMax, e.Concurrency, e.SupportedWorkloads})
	}
	return out
}

// TestCapabilitiesFollowRegisteredPools: a node registers two pools of an
// engine the static pool does not have; capabilities name it with the
// largest ctx_max and the total slots, and forget it when the node is
// deleted, and again when a re-registered node stops heartbeating. The pool
// series of /metrics come and go with them.
func TestCapabilitiesFollowRegisteredPools(t *testing.T) {
	is := is.New(t)
	sim, o := cluster(t, "", 2)
	static := engineSummary{wire.EngineLlamaCpp, 4096, 2, []wire.Workload{wire.WorkloadCompletion}}
	is.Equal(capabilities(t, o), []engineSummary{static}) // the static pool alone

	reg := wire.NodeRegisterRequest{NodeID: "gpu-oai", MachineID: "m-1", Version: "test", Pools: []wire.PoolRegistration{
		{PoolID: "oai-0", Engine: wire.EngineOpenAI, URL: sim.URL, Models: []string{"tiny"}, SlotsTotal: 3, CtxMax: 16384},
		{PoolID: "oai-1", Engine: wire.EngineOpenAI, URL: sim.URL, Models: []string{"tiny"}, SlotsTotal: 5, CtxMax: 8192},
	}}
	withOpenAI := []engineSummary{static, {wire.EngineOpenAI, 16384, 8, []wire.Workload{wire.WorkloadCompletion}}}
	mustCall(t, "POST", o.URL+"/v2/nodes/register", reg, 200)
	is.Equal(capabilities(t, o), withOpenAI) // the new engine: largest ctx_max, total slots
	waitFor(t, 5*time.Second, "the new pools' series", func() bool {
		s := scrapeMetrics(t, o)
		return s.gauge(key("orchd_pool_slots_free", "pool_id", "oai-0")) == 3 &&
			s.gauge(key("orchd_pool_slots_free", "pool_id", "oai-1")) == 5 &&
			s.gauge(key("orchd_nodes_online")) == 2
	})

	mustCall(t, "DELETE", o.URL+"/v2/nodes/gpu-oai", nil, 204)
	is.Equal(capabilities(t, o), []engineSummary{static}) // gone with its node
	waitFor(t, 5*time.Second, "the pools' series forgotten", func() bool {
		s := scrapeMetrics(t, o)
		return s.gauge(key("orchd_pool_ready", "pool_id", "oai-0")) == -1 &&
			s.gauge(key("orchd_pool_ready", "pool_id", "oai-1")) == -1 &&
			s.gauge(key("orchd_nodes_online")) == 1
	})

	mustCall(t, "POST", o.URL+"/v2/nodes/register", reg, 200) // back, then silent
	is.Equal(capabilities(t, o), withOpenAI)                  // registered again
	waitFor(t, 5*time.Second, "expiry drops the engine", func() bool {
		return len(capabilities(t, o)) == 1
	})
	is.Equal(capabilities(t, o), []engineSummary{static}) // an offline node's pools are left out
	s := scrapeMetrics(t, o)
	is.Equal(s.gauge(key("orchd_pool_ready", "pool_id", "oai-0")), 0.0)               // registered but offline
	is.Equal(s.gauge(key("orchd_nodes_online")), 1.0)                                 // the static node only
	is.Equal(s.counts()[key("orchd_node_registrations_total", "outcome", "ok")], 2.0) // both registrations
}
