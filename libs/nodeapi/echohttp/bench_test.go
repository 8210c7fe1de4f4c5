package echohttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// BenchmarkHeartbeatHandler: one node's steady heartbeat (8 pool reports)
// through the echo route — body decode, registry update, JSON answer — with
// 1,000 nodes × 8 pools registered. The request goes to the router
// directly (httptest), so the figure leaves out the network and net/http's
// connection handling.
func BenchmarkHeartbeatHandler(b *testing.B) {
	const nodes, poolsPerNode = 1000, 8
	f := newFixture()
	paths := make([]string, nodes)
	bodies := make([]string, nodes)
	for n := range nodes {
		id := "node-" + strconv.Itoa(n)
		reg := wire.NodeRegisterRequest{NodeID: id, MachineID: "m-" + id, Version: "1"}
		hb := wire.HeartbeatRequest{TimestampMs: 1_700_000_000_000}
		for p := range poolsPerNode {
			pool := id + "-pool-" + strconv.Itoa(p)
			reg.Pools = append(reg.Pools, wire.PoolRegistration{PoolID: pool, Engine: wire.EngineLlamaCpp,
				URL: "http://10.0.0.1:8080", Models: []string{"org/model-7b"}, SlotsTotal: 4, CtxMax: 8192})
			free := p % 4
			hb.Pools = append(hb.Pools, wire.PoolHeartbeat{PoolID: pool, Ready: true, SlotsFree: &free, SlotsTotal: 4,
				ModelsAvailable: []string{"org/model-7b"}, EngineVersion: "b4000"})
		}
		rb, _ := json.Marshal(reg)
		if r := f.do(http.MethodPost, "/v2/nodes/register", string(rb)); r.status != http.StatusOK {
			b.Fatalf("register: %d %s", r.status, r.body)
		}
		hbBody, _ := json.Marshal(hb)
		paths[n] = "/v2/nodes/" + id + "/heartbeat"
		bodies[n] = string(hbBody)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := i % nodes
		req := httptest.NewRequest(http.MethodPost, paths[n], strings.NewReader(bodies[n]))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		f.e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("heartbeat: %d %s", rec.Code, rec.Body)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
}
