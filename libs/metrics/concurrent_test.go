package metrics_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

// TestConcurrentUse records, creates and forgets series from several
// goroutines; under -race it checks the caches' locking.
func TestConcurrentUse(t *testing.T) {
	is := is.New(t)
	m, reg := newMetrics(t)
	var wg sync.WaitGroup
	for w := range 6 {
		pool := "p" + strconv.Itoa(w%3)
		wg.Go(func() {
			for range 6 {
				for i := range 50 {
					ps := m.PoolSeries(metrics.EngineVLLM, pool)
					ps.TokensOut(1)
					ps.FirstToken(metrics.PriorityBatch, time.Millisecond)
					m.SetActiveLeases(pool, i)
					m.SetModelState("model-"+pool, metrics.ModelActive)
					m.TaskEnqueued(metrics.EngineAny, metrics.PriorityBatch)
				}
				m.ForgetPool(pool)
				m.ForgetModel("model-" + pool)
			}
		})
	}
	wg.Wait()
	is.Equal(value(t, reg, "orchd_tasks_enqueued_total", "engine=any,priority=batch"), 1800.0) // no increment lost
}
