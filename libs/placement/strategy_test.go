package placement_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/placement"
)

var reqM = placement.Request{Model: "m"}

func TestLeastLoadedOrder(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name  string
		pools []placement.Pool
		want  string
	}{
		{"most free slots", []placement.Pool{pool("a", slots(2)), pool("b", slots(5)), pool("c", slots(3))}, "b"},
		{"then lowest queue", []placement.Pool{pool("a", slots(2), queue(3)), pool("b", slots(2), queue(1)), pool("c", slots(1))}, "b"},
		{"then lowest latency", []placement.Pool{pool("a", latencyMs(90)), pool("b", latencyMs(30)), pool("c", latencyMs(60))}, "b"},
		{"known latency beats unknown", []placement.Pool{pool("a"), pool("b", latencyMs(500))}, "b"},
		{"NaN latency is unknown", []placement.Pool{pool("a", latencyMs(math.NaN())), pool("b", latencyMs(500))}, "b"},
		{"then lowest ID", []placement.Pool{pool("c"), pool("a"), pool("b")}, "a"},
		{"slots beat queue and latency", []placement.Pool{pool("a", slots(1), latencyMs(1)), pool("b", slots(2), queue(9), latencyMs(900))}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := placement.New(placement.LeastLoaded)
			reversed := slices.Clone(tt.pools)
			slices.Reverse(reversed)
			is.Equal(place(p, reqM, tt.pools), chose(tt.want, placement.ReasonLeastLoaded)) // the least loaded pool
			is.Equal(place(p, reqM, reversed), chose(tt.want, placement.ReasonLeastLoaded)) // whatever the slice order
		})
	}
}

func TestLeastLoadedSpreadsSequentialPlacements(t *testing.T) {
	is := is.New(t)
	pools := []placement.Pool{pool("a", slots(100)), pool("b", slots(100))}
	p := placement.New(placement.LeastLoaded)
	count := map[string]int{}
	for range 100 {
		d, err := p.Place(reqM, pools)
		is.NoErr(err) // free slots remain
		count[d.PoolID]++
		pools[d.Index].SlotsFree--
	}
	is.True(count["a"] >= 40 && count["a"] <= 60) // within ±20% of an even split
	is.True(count["b"] >= 40 && count["b"] <= 60) // within ±20% of an even split
}

func TestRoundRobinCyclesInIDOrder(t *testing.T) {
	is := is.New(t)
	p := placement.New(placement.RoundRobin)
	pools := []placement.Pool{pool("c"), pool("a"), pool("x", full), pool("b")}
	got := []string{}
	for range 7 {
		got = append(got, place(p, reqM, pools).Pool)
	}
	is.Equal(got, []string{"a", "b", "c", "a", "b", "c", "a"}) // ID order, busy pools skipped, wrapping around

	pools = []placement.Pool{pool("a"), pool("c"), pool("d")}               // b left; the cursor stays at a
	is.Equal(place(p, reqM, pools), chose("c", placement.ReasonRoundRobin)) // the next ID after the cursor
	pools = append(pools, pool("b"))
	is.Equal(place(p, reqM, pools), chose("d", placement.ReasonRoundRobin)) // a new pool below the cursor waits for the wrap
	is.Equal(place(p, reqM, pools).Pool, "a")                               // wrap around
	is.Equal(place(p, reqM, pools).Pool, "b")                               // then the newcomer
}

func TestRoundRobinDistribution(t *testing.T) {
	is := is.New(t)
	p := placement.New(placement.RoundRobin)
	pools := []placement.Pool{pool("p2"), pool("p0"), pool("p1", slots(8))}
	count := map[string]int{}
	for range 300 {
		count[place(p, reqM, pools).Pool]++
	}
	is.Equal(count, map[string]int{"p0": 100, "p1": 100, "p2": 100}) // an even cycle, free slots notwithstanding
}

func TestRoundRobinIgnoresNonStrategyDecisions(t *testing.T) {
	is := is.New(t)
	p := placement.New(placement.RoundRobin)
	pools := []placement.Pool{pool("a"), pool("b"), pool("c")}
	is.Equal(place(p, reqM, pools).Pool, "a")                                                             // cursor at a
	is.Equal(place(p, withAffinity(reqM, "c"), pools), chose("c", placement.ReasonAffinity))              // affinity does not move the cursor
	is.Equal(place(p, placement.Request{Model: "m", Mode: placement.Pin, PinPool: "c"}, pools).Pool, "c") // nor does pin
	is.Equal(place(p, reqM, pools).Pool, "b")                                                             // the cycle continues from a
}

func TestRandomWithScriptedIntn(t *testing.T) {
	is := is.New(t)
	pools := []placement.Pool{pool("a"), pool("x", full), pool("b"), pool("c")}
	tests := []struct {
		name  string
		intn  func(n int) int
		want  string
		calls []int
	}{
		{"always zero keeps the last", func(int) int { return 0 }, "c", []int{1, 2, 3}},
		{"always n-1 keeps the first", func(n int) int { return n - 1 }, "a", []int{1, 2, 3}},
		{"out of range is reduced", func(n int) int { return 2*n - 1 }, "a", []int{1, 2, 3}},
		{"negative is reduced", func(n int) int { return -n }, "c", []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			calls := []int{}
			p := placement.New(placement.Random, placement.WithIntn(func(n int) int {
				calls = append(calls, n)
				return tt.intn(n)
			}))
			is.Equal(place(p, reqM, pools), chose(tt.want, placement.ReasonRandom)) // deterministic under a scripted intn
			is.Equal(calls, tt.calls)                                               // one draw per eligible pool
		})
	}
	p := placement.New(placement.Random, placement.WithIntn(nil))
	is.True(place(p, reqM, pools).Err == nil) // a nil intn keeps the default source
}

func TestRandomIsUniform(t *testing.T) {
	is := is.New(t)
	rng := rand.New(rand.NewPCG(3, 4))
	p := placement.New(placement.Random, placement.WithIntn(rng.IntN))
	pools := []placement.Pool{pool("a"), pool("b", slots(9)), pool("c"), pool("d", offline)}
	count := map[string]int{}
	for range 3000 {
		count[place(p, reqM, pools).Pool]++
	}
	is.Equal(len(count), 3)                        // only eligible pools
	is.True(count["a"] > 900 && count["a"] < 1100) // ~1/3
	is.True(count["b"] > 900 && count["b"] < 1100) // ~1/3
	is.True(count["c"] > 900 && count["c"] < 1100) // ~1/3
}

func TestDeterministic(t *testing.T) {
	is := is.New(t)
	pools := cluster(1000, 8)
	shuffled := slices.Clone(pools)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	is.Equal(len(pools), 8000) // the benchmark cluster
	for _, r := range benchRequests() {
		t.Run(r.name, func(t *testing.T) {
			is := is.New(t)
			first, err := placement.New(placement.LeastLoaded).Place(r.req, pools)
			is.NoErr(err) // the cluster serves the model
			again, err := placement.New(placement.LeastLoaded).Place(r.req, pools)
			is.NoErr(err)          // still
			is.Equal(again, first) // same input, same decision
			other, err := placement.New(placement.LeastLoaded).Place(r.req, shuffled)
			is.NoErr(err)                        // shuffled
			is.Equal(other.PoolID, first.PoolID) // whatever the order of the pools
		})
	}
}

func TestConcurrentPlace(t *testing.T) {
	is := is.New(t)
	pools := cluster(10, 8)
	is.Equal(len(pools), 80) // a small cluster
	is.Equal(len(pools), 80) // a small cluster
	req := placement.Request{Model: catalogModels()[2], AllowFallback: true}
	for _, s := range []placement.Strategy{placement.LeastLoaded, placement.RoundRobin, placement.Random} {
		t.Run(s.String(), func(t *testing.T) {
			is := is.New(t)
			p := placement.New(s)
			var wg sync.WaitGroup
			errs := make(chan error, 8*50)
			for range 8 {
				wg.Go(func() {
					for range 50 {
						_, err := p.Place(req, pools)
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				is.NoErr(err) // every concurrent placement succeeds
			}
		})
	}
}
