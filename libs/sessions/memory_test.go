package sessions_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryReturnsAfterExpiry creates 100,000 sessions, each with one
// finished turn, lets them expire on the fake clock and sweeps: the heap
// returns near where it started while the store itself stays alive
// (docs/benchmarks.md, "Sessions memory").
func TestMemoryReturnsAfterExpiry(t *testing.T) {
	is := is.New(t)
	const n = 100_000
	c := newClock()
	s := newStore(t, c, sessions.Budgets{Tokens: 1000, Time: time.Minute, Cost: 1}, sessions.WithCostPerToken(0.000002))
	before := liveHeap()
	for i := range n {
		id := "session-" + strconv.Itoa(i)
		s.Begin(id)
		s.Served(id, "pool-"+strconv.Itoa(i%8))
		s.End(id, sessions.Turn{Tokens: 16, Decode: 40 * time.Millisecond, Placed: true})
	}
	is.Equal(s.Len(), n) // all held
	peak := liveHeap()
	c.Add(ttl)
	is.Equal(s.Sweep(), n) // all expired and swept
	is.Equal(s.Len(), 0)   // none held
	after := liveHeap()
	t.Logf("sessions=%d heap before=%d KiB peak=%d KiB after=%d KiB (%.0f B/session at peak)",
		n, before>>10, peak>>10, after>>10, float64(peak-before)/n)
	is.True(peak > before+n*64)     // the sessions did take memory (the measure can fail)
	is.True(after < before+256<<10) // back within 256 KiB of the start
	runtime.KeepAlive(s)
}

// TestMemoryReturnsAfterExpiryWithJournal is the same with a journal (over
// a backend that keeps nothing, every End waiting for its commit): the
// journal's buffers do not keep the burst's memory either.
func TestMemoryReturnsAfterExpiryWithJournal(t *testing.T) {
	is := is.New(t)
	const n = 100_000
	c := newClock()
	b := &discardBackend{}
	j := newJournal(t, b)
	s := newStore(t, c, sessions.Budgets{Tokens: 1000}, sessions.WithJournal(j))
	is.NoErr(j.Flush()) // the writer is running before the first measure
	before := liveHeap()
	for i := range n {
		id := "session-" + strconv.Itoa(i)
		s.Begin(id)
		s.Served(id, "pool-"+strconv.Itoa(i%8))
		s.End(id, sessions.Turn{Tokens: 16, Decode: 40 * time.Millisecond, Placed: true}) // waits for its commit
	}
	peak := liveHeap()
	c.Add(ttl)
	is.Equal(s.Sweep(), n) // all expired and swept
	is.NoErr(j.Flush())    // the removals written
	after := liveHeap()
	t.Logf("sessions=%d with a journal: heap before=%d KiB peak=%d KiB after=%d KiB", n, before>>10, peak>>10, after>>10)
	is.True(peak > before+n*64)     // the sessions did take memory
	is.True(after < before+512<<10) // back within 512 KiB of the start: the journal keeps two queues and an index of 1,024 (≈ 260 KiB) for reuse
	runtime.KeepAlive(s)
	runtime.KeepAlive(j)
}

func BenchmarkTaskLifecycle(b *testing.B) {
	c := newClock()
	s, err := sessions.New(ttl, sessions.Budgets{Tokens: 1 << 50}, sessions.WithClock(c.Now), sessions.WithCostPerToken(0.000002))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 4096)
	for i := range ids {
		ids[i] = "s-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		if _, err := s.Check(id); err != nil {
			b.Fatal(err)
		}
		s.Begin(id)
		s.Served(id, "p0")
		s.End(id, sessions.Turn{Tokens: 16, Decode: time.Millisecond, Placed: true})
	}
}

func BenchmarkSweep100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		c := newClock()
		s, err := sessions.New(ttl, sessions.Budgets{}, sessions.WithClock(c.Now))
		if err != nil {
			b.Fatal(err)
		}
		for i := range 100_000 {
			id := "s-" + strconv.Itoa(i)
			s.Begin(id)
			s.End(id, sessions.Turn{})
		}
		c.Add(ttl)
		b.StartTimer()
		if s.Sweep() != 100_000 {
			b.Fatal("not all swept")
		}
	}
}
