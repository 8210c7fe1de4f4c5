package nodeapi_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// TestConcurrentUse drives every method from several goroutines; run under
// -race it checks the locking, and the final state checks nothing was lost.
func TestConcurrentUse(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	r := nodeapi.NewRegistry(timeout, nodeapi.WithClock(clk.Now))
	ch, cancel := r.Subscribe()
	defer cancel()

	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		id := "n" + strconv.Itoa(w)
		pool := "p" + strconv.Itoa(w)
		wg.Go(func() {
			for i := range rounds {
				_, _ = r.Register(nodeSpec(id, pool))
				_ = r.Heartbeat(id, []nodeapi.PoolReport{report(pool, i%5)})
				_ = r.Report(pool, report(pool, i%3))
				_ = r.Pools()
				_ = r.Nodes()
				_, _ = r.Pool(pool)
				_ = r.Online()
				_ = r.Version()
				clk.Advance(time.Millisecond)
				_ = r.Expire()
				_, stop := r.Subscribe()
				stop()
			}
		})
	}
	wg.Go(func() {
		for range workers * rounds {
			select {
			case <-ch:
			default:
			}
		}
	})
	wg.Wait()

	is.Equal(len(r.Nodes()), workers) // every node registered once
	is.Equal(len(r.Pools()), workers) // with its one pool
	is.True(r.Version() > 0)          // changes counted
}
