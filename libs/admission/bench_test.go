package admission_test

import (
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/admission"
)

// BenchmarkPushTake measures one Push plus one Take on a queue holding 512
// waiting tasks; ids are prepared up front.
func BenchmarkPushTake(b *testing.B) {
	clk := newFakeClock()
	q := admission.New[int](1024, admission.Reject, admission.WithClock(clk.now))
	ring := ids("t", 1024)
	for i := range 512 {
		_, _, _ = q.Push(ring[i], admission.Priority(i%2), i)
	}
	head, tail := 0, 512
	b.ReportAllocs()
	for b.Loop() {
		clk.advance(time.Millisecond)
		_, _, _ = q.Push(ring[tail%1024], admission.Priority(tail%2), tail)
		q.Take(ring[head%1024])
		head++
		tail++
	}
}

// BenchmarkScan1024 walks a full queue of 1024 tasks in dispatch order.
func BenchmarkScan1024(b *testing.B) {
	q := admission.New[int](1024, admission.Reject)
	for i, id := range ids("t", 1024) {
		_, _, _ = q.Push(id, admission.Priority(i%2), i)
	}
	sum := 0
	b.ReportAllocs()
	for b.Loop() {
		q.Scan(func(pos int, e admission.Entry[int]) bool {
			sum += e.Value
			return true
		})
	}
	_ = sum
}

// BenchmarkPosition asks the position of the last task of a full queue of
// 1024 (the worst case).
func BenchmarkPosition(b *testing.B) {
	q := admission.New[int](1024, admission.Reject)
	all := ids("t", 1024)
	for i, id := range all {
		_, _, _ = q.Push(id, admission.Priority(i%2), i)
	}
	last := all[len(all)-1]
	b.ReportAllocs()
	for b.Loop() {
		_, _ = q.Position(last)
	}
}

// BenchmarkBackoff computes the drain-rate based back-off.
func BenchmarkBackoff(b *testing.B) {
	s := newSim()
	s.depart(1000, 50*time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		s.clk.advance(time.Millisecond)
		_ = s.q.Backoff()
	}
}
