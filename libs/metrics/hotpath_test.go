package metrics_test

import (
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/metrics"
)

// TestHotPathDoesNotAllocate: recording a known label value allocates
// nothing, through a PoolSeries or through the helpers once a series exists.
func TestHotPathDoesNotAllocate(t *testing.T) {
	m, _ := newMetrics(t)
	ps := m.PoolSeries(metrics.EngineLlamaCPP, "p1")
	m.SetActiveLeases("p1", 0)
	tests := []struct {
		name string
		fn   func()
	}{
		{"PoolSeries.TokensOut", func() { ps.TokensOut(3) }},
		{"PoolSeries.FirstToken", func() { ps.FirstToken(metrics.PriorityInteractive, 40*time.Millisecond) }},
		{"PoolSeries.Decode", func() { ps.Decode(2 * time.Second) }},
		{"PoolSeries.Started", func() { ps.Started(metrics.PriorityBatch) }},
		{"PoolSeries.Completed", func() { ps.Completed(metrics.OutcomeCompleted) }},
		{"Metrics.TokensOut", func() { m.TokensOut(metrics.EngineLlamaCPP, "p1", 3) }},
		{"Metrics.TaskEnqueued", func() { m.TaskEnqueued(metrics.EngineAny, metrics.PriorityBatch) }},
		{"Metrics.TaskCanceled", func() { m.TaskCanceled(metrics.CancelDisconnect) }},
		{"Metrics.SetQueueDepth", func() { m.SetQueueDepth(metrics.PriorityBatch, 4) }},
		{"Metrics.SetActiveLeases", func() { m.SetActiveLeases("p1", 2) }},
		{"Metrics.ObserveQueueWait", func() { m.ObserveQueueWait(metrics.PriorityBatch, time.Millisecond) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(testing.AllocsPerRun(100, tt.fn), 0.0) // no allocation per call
		})
	}
}

// BenchmarkTokensOut: the token-counter hot path through a kept PoolSeries.
func BenchmarkTokensOut(b *testing.B) {
	m, err := metrics.New(metrics.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ps := m.PoolSeries(metrics.EngineLlamaCPP, "gpu-0")
	b.ReportAllocs()
	for b.Loop() {
		ps.TokensOut(1)
	}
}

// BenchmarkTokensOutHelper: the same through Metrics.TokensOut, which looks
// the series up on every call.
func BenchmarkTokensOutHelper(b *testing.B) {
	m, err := metrics.New(metrics.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.TokensOut(metrics.EngineLlamaCPP, "gpu-0", 1)
	}
}

// BenchmarkTokensOutParallel: several streams of one pool at once.
func BenchmarkTokensOutParallel(b *testing.B) {
	m, err := metrics.New(metrics.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ps := m.PoolSeries(metrics.EngineLlamaCPP, "gpu-0")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ps.TokensOut(1)
		}
	})
}
