package meta_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/meta"
)

type pools []nodeapi.PoolView

func (p pools) Pools() []nodeapi.PoolView { return p }

func view(id, engine string, slots, ctx int, online bool) nodeapi.PoolView {
	return nodeapi.PoolView{
		PoolSpec: nodeapi.PoolSpec{PoolID: id, Engine: engine, SlotsTotal: slots, CtxMax: ctx},
		Online:   online,
	}
}

func TestCapabilitiesAggregateOnlinePoolsByEngine(t *testing.T) {
	tests := []struct {
		name  string
		pools pools
		want  []wire.EngineCapability
	}{
		{"no pools", nil, []wire.EngineCapability{}},
		{"one engine, two pools", pools{view("a", "llamacpp", 4, 8192, true), view("b", "llamacpp", 2, 4096, true)},
			[]wire.EngineCapability{{Engine: "llamacpp", CtxMax: 8192, Concurrency: 6}}},
		{"two engines, sorted", pools{view("a", "vllm", 8, 32768, true), view("b", "llamacpp", 1, 2048, true)},
			[]wire.EngineCapability{{Engine: "llamacpp", CtxMax: 2048, Concurrency: 1}, {Engine: "vllm", CtxMax: 32768, Concurrency: 8}}},
		{"offline node's pools left out", pools{view("a", "llamacpp", 4, 8192, true), view("b", "openai", 3, 16384, false)},
			[]wire.EngineCapability{{Engine: "llamacpp", CtxMax: 8192, Concurrency: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got := meta.New(tt.pools).Capabilities()
			is.Equal(got.APIVersion, wire.APIVersion) // the contract's version
			summary := make([]wire.EngineCapability, 0, len(got.Engines))
			for _, e := range got.Engines {
				is.Equal(e.SupportedWorkloads, []wire.Workload{wire.WorkloadCompletion}) // what the adapters serve
				is.True(len(e.Features) > 0)                                             // features listed
				summary = append(summary, wire.EngineCapability{Engine: e.Engine, CtxMax: e.CtxMax, Concurrency: e.Concurrency})
			}
			is.Equal(summary, tt.want) // engines, ctx_max and concurrency = total slots
		})
	}
}
