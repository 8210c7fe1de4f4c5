package echohttp_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

func TestPoolToWire(t *testing.T) {
	spec := nodeapi.PoolSpec{PoolID: "p", Engine: "vllm", URL: "http://h:1", Models: []string{"m"}, SlotsTotal: 4}
	cases := []struct {
		name   string
		view   nodeapi.PoolView
		leases int
		want   wire.Pool
	}{
		{"registered, no report", nodeapi.PoolView{PoolSpec: spec, NodeID: "n", Online: true}, 0,
			wire.Pool{PoolID: "p", NodeID: "n", Engine: "vllm", URL: "http://h:1", Models: []string{"m"}, SlotsTotal: 4, SlotsFree: 4, Live: true}},
		{"ready, leases count", nodeapi.PoolView{PoolSpec: spec, NodeID: "n", Online: true, Reported: true,
			Report: nodeapi.PoolReport{Ready: true, SlotsFree: -1}}, 3,
			wire.Pool{PoolID: "p", NodeID: "n", Engine: "vllm", URL: "http://h:1", Models: []string{"m"}, SlotsTotal: 4, SlotsFree: 1, ActiveLeases: 3, Live: true, Ready: true}},
		{"reported slots bound", nodeapi.PoolView{PoolSpec: spec, NodeID: "n", Online: true, Reported: true,
			Report: nodeapi.PoolReport{Ready: true, SlotsFree: 2, ModelsAvailable: []string{"m2"}, EngineVersion: "v1"}}, 1,
			wire.Pool{PoolID: "p", NodeID: "n", Engine: "vllm", URL: "http://h:1", Models: []string{"m2"}, SlotsTotal: 4, SlotsFree: 2, ActiveLeases: 1, EngineVersion: "v1", Live: true, Ready: true}},
		{"over-leased never negative", nodeapi.PoolView{PoolSpec: spec, NodeID: "n", Online: true}, 9,
			wire.Pool{PoolID: "p", NodeID: "n", Engine: "vllm", URL: "http://h:1", Models: []string{"m"}, SlotsTotal: 4, ActiveLeases: 9, Live: true}},
		{"offline node is neither live nor ready", nodeapi.PoolView{PoolSpec: spec, NodeID: "n", Reported: true,
			Report: nodeapi.PoolReport{Ready: true, Draining: true, SlotsFree: 4, LastError: "reload failed"}}, 0,
			wire.Pool{PoolID: "p", NodeID: "n", Engine: "vllm", URL: "http://h:1", Models: []string{"m"}, SlotsTotal: 4, SlotsFree: 4, Draining: true, LastError: "reload failed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(echohttp.PoolToWire(tc.view, tc.leases), tc.want) // rendered as documented
		})
	}
}

func TestReportsFromWire(t *testing.T) {
	is := is.New(t)
	free, vram := 2, int64(77)
	got := echohttp.ReportsFromWire([]wire.PoolHeartbeat{
		{PoolID: "a", Ready: true, SlotsFree: &free, SlotsTotal: 4, VRAMFreeBytes: &vram, LastError: "x"},
		{PoolID: "b", Draining: true},
	})
	is.Equal(got, []nodeapi.PoolReport{
		{PoolID: "a", Ready: true, SlotsFree: 2, SlotsTotal: 4, VRAMFreeBytes: 77, LastError: "x"},
		{PoolID: "b", Draining: true, SlotsFree: -1},
	}) // absent slots_free is -1
	is.Equal(len(echohttp.ReportsFromWire(nil)), 0) // no pools, no reports
}
