package placement_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/orchestratord/orchestratord/libs/placement"
)

// catalogModels are model names as pools advertise them (Hugging Face ids
// and Ollama tags of varied lengths, some of equal length).
func catalogModels() []string {
	return []string{
		"meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
		"Qwen/Qwen2.5-72B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3", "google/gemma-2-9b-it",
		"google/gemma-2-27b-it", "microsoft/Phi-3.5-mini-instruct", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
		"llama3.1:8b", "llama3.1:70b", "qwen2.5:7b", "qwen2.5:14b", "mistral:7b", "gemma2:9b", "phi3.5:3.8b",
	}
}

// cluster builds nodes × perNode pools whose strings are allocated
// separately, as decoding registrations would: two of 16 catalog models per
// pool, four engines, 0–8 free slots, a few pools offline, not ready or
// draining. It is seeded, so deterministic.
func cluster(nodes, perNode int) []placement.Pool {
	models := catalogModels()
	rng := rand.New(rand.NewPCG(7, 11))
	engines := []string{"llamacpp", "vllm", "tgi", "ollama"}
	pools := make([]placement.Pool, 0, nodes*perNode)
	for n := range nodes {
		node := fmt.Sprintf("node-%04d", n)
		for k := range perNode {
			m1, m2 := rng.IntN(16), rng.IntN(16)
			pools = append(pools, placement.Pool{
				ID:         fmt.Sprintf("%s/pool-%d", node, k),
				NodeID:     strings.Clone(node),
				Engine:     strings.Clone(engines[rng.IntN(len(engines))]),
				Models:     []string{strings.Clone(models[m1]), strings.Clone(models[m2])},
				DeviceMask: fmt.Sprintf("%d", k),
				CtxMax:     []int{0, 4096, 8192, 32768}[rng.IntN(4)],
				SlotsTotal: 8,
				SlotsFree:  rng.IntN(9),
				QueueDepth: rng.IntN(4),
				LatencyMs:  float64(rng.IntN(500)),
				Online:     rng.IntN(50) != 0,
				Ready:      rng.IntN(50) != 0,
				Draining:   rng.IntN(50) == 0,
			})
		}
	}
	return pools
}

func benchRequests() []struct {
	name string
	req  placement.Request
} {
	return []struct {
		name string
		req  placement.Request
	}{
		{"auto", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct", Ctx: 4096, AllowFallback: true}},
		{"auto-affinity-avoid", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct", Ctx: 4096, AllowFallback: true,
			Avoid: []string{"node-0001/pool-1", "node-0002/pool-2"}, AffinityPool: "node-0999/pool-7"}},
		{"prefer-engine-mask", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct", Engine: "vllm", Mode: placement.Prefer,
			Prefer: []string{"node-0500/pool-1", "node-0700/pool-2"}, RequireDeviceMask: "1", AllowFallback: true}},
	}
}

// BenchmarkPlace8000 places over 1,000 nodes × 8 pools with each strategy.
func BenchmarkPlace8000(b *testing.B) {
	pools := cluster(1000, 8)
	for _, s := range []placement.Strategy{placement.LeastLoaded, placement.RoundRobin, placement.Random} {
		for _, r := range benchRequests() {
			b.Run(s.String()+"/"+r.name, func(b *testing.B) {
				p := placement.New(s, placement.WithIntn(rand.New(rand.NewPCG(1, 2)).IntN))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.Place(r.req, pools); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFeasible8000 checks feasibility over 1,000 nodes × 8 pools: a
// feasible request (the pass stops at the first capable pool) and two that
// no pool can serve (full passes: no pool lists the model; ~1,000 pools list
// it but none runs the engine).
func BenchmarkFeasible8000(b *testing.B) {
	pools := cluster(1000, 8)
	p := placement.New(placement.LeastLoaded)
	reqs := []struct {
		name string
		req  placement.Request
	}{
		{"feasible", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct", Ctx: 4096}},
		{"unknown-model", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct-AWQ"}},
		{"no-such-engine", placement.Request{Model: "Qwen/Qwen2.5-7B-Instruct", Engine: "openai"}},
	}
	for _, r := range reqs {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			want := p.Feasible(r.req, pools)
			for b.Loop() {
				if err := p.Feasible(r.req, pools); err != want {
					b.Fatal(err)
				}
			}
		})
	}
}
