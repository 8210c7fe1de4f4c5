package nodeapi_test

import (
	"strconv"
	"testing"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

const (
	benchNodes        = 1000
	benchPoolsPerNode = 8
)

// benchRegistry registers 1,000 nodes × 8 pools and returns each node's id
// and heartbeat reports.
func benchRegistry(b *testing.B) (*nodeapi.Registry, []string, [][]nodeapi.PoolReport) {
	b.Helper()
	r := nodeapi.NewRegistry(timeout)
	ids := make([]string, benchNodes)
	reports := make([][]nodeapi.PoolReport, benchNodes)
	for n := range benchNodes {
		ids[n] = "node-" + strconv.Itoa(n)
		spec := nodeSpec(ids[n])
		for p := range benchPoolsPerNode {
			pool := ids[n] + "-pool-" + strconv.Itoa(p)
			spec.Pools = append(spec.Pools, poolSpec(pool))
			reports[n] = append(reports[n], report(pool, p%4))
		}
		if _, err := r.Register(spec); err != nil {
			b.Fatal(err)
		}
	}
	return r, ids, reports
}

// BenchmarkHeartbeat: a steady heartbeat (state unchanged) of one node with
// 8 pool reports, over 1,000 registered nodes.
func BenchmarkHeartbeat(b *testing.B) {
	r, ids, reports := benchRegistry(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := i % benchNodes
		if err := r.Heartbeat(ids[n], reports[n]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
}

// BenchmarkHeartbeatChanging: every heartbeat changes the free slots of its
// pools, so each one bumps the version and signals a subscriber.
func BenchmarkHeartbeatChanging(b *testing.B) {
	r, ids, reports := benchRegistry(b)
	ch, cancel := r.Subscribe()
	defer cancel()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := i % benchNodes
		for p := range reports[n] {
			reports[n][p].SlotsFree = (reports[n][p].SlotsFree + 1) % 4
		}
		if err := r.Heartbeat(ids[n], reports[n]); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ch:
		default:
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
}

// BenchmarkPools: a full snapshot of the 8,000 pools, as placement takes it
// when the version moved.
func BenchmarkPools(b *testing.B) {
	r, _, _ := benchRegistry(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Pools()) != benchNodes*benchPoolsPerNode {
			b.Fatal("pools lost")
		}
	}
}
