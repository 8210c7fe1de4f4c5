package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

func TestEndIsCommittedBeforeItReturns(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	s := newStore(t, c, sessions.Budgets{Tokens: 100}, sessions.WithJournal(newJournal(t, b)), sessions.WithCostPerToken(0.5))

	s.Begin("s1")
	s.Served("s1", "pool-a")
	_, stored := b.get("s1")
	is.True(!stored) // creation and serving are written behind
	c.Add(time.Second)
	s.End("s1", sessions.Turn{Tokens: 30, Decode: 2 * time.Second, Placed: true})
	got, stored := b.get("s1")
	is.True(stored) // the spend is committed when End returns
	is.Equal(got, sessions.Record{
		ID: "s1", Expires: c.Now().Add(ttl), Turns: 1, LastPool: "pool-a", Warm: true,
		Spent: sessions.Usage{Tokens: 30, Time: 2 * time.Second, Cost: 15},
	}) // the whole session
	_, commits := b.snapshot()
	is.Equal(len(commits), 1)    // one commit took the earlier changes along
	is.Equal(len(commits[0]), 1) // only the last change of the session
}

func TestDeleteIsCommittedBeforeItReturns(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(newJournal(t, b)))

	s.Begin("s1")
	s.End("s1", sessions.Turn{Tokens: 1, Placed: true})
	_, stored := b.get("s1")
	is.True(stored)         // stored
	is.True(s.Delete("s1")) // deleted
	_, stored = b.get("s1")
	is.True(!stored)         // gone from the backend when Delete returns
	is.True(!s.Delete("s1")) // unknown now
}

func TestSweepRemovesFromTheBackend(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	j := newJournal(t, b)
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(j))

	s.Begin("old")
	s.End("old", sessions.Turn{Placed: true})
	s.Begin("busy") // active: never expires
	c.Add(ttl)
	is.Equal(s.Sweep(), 1) // the idle one
	is.NoErr(j.Flush())    // write the sweep
	_, stored := b.get("old")
	is.True(!stored) // removed
	busy, stored := b.get("busy")
	is.True(stored)                          // kept
	is.Equal(busy.Expires, c.Now().Add(ttl)) // with the new TTL the sweep gave it
}

func TestConcurrentEndsShareOneCommit(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	hold, entered := make(chan struct{}), make(chan struct{}, 1)
	b.hold, b.entered = hold, entered
	j := newJournal(t, b)
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(j))
	const n = 32
	for i := range n + 1 {
		s.Begin(fmt.Sprint("s", i))
	}

	var wg sync.WaitGroup
	wg.Go(func() { s.End("s0", sessions.Turn{Tokens: 1, Placed: true}) })
	<-entered // the first commit is being written (and held)
	b.mu.Lock()
	b.entered = nil
	b.mu.Unlock()
	for i := 1; i <= n; i++ {
		wg.Go(func() { s.End(fmt.Sprint("s", i), sessions.Turn{Tokens: 1, Placed: true}) })
	}
	waitUntil(t, "every end queued", func() bool { return j.Pending() == n })
	close(hold)
	wg.Wait()

	stored, commits := b.snapshot()
	is.Equal(len(stored), n+1) // every session stored
	is.Equal(len(commits), 2)  // the first, then all the others at once
	is.Equal(len(commits[1]), n)
}

func TestFailedCommitIsReportedAndEndGoesOn(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	b.fail = errors.New("disk full")
	var mu sync.Mutex
	var reported []error
	j := newJournal(t, b, sessions.WithErrorHandler(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	s := newStore(t, c, sessions.Budgets{Tokens: 10}, sessions.WithJournal(j))

	s.Begin("s1")
	snap, ok := s.End("s1", sessions.Turn{Tokens: 4, Placed: true})
	is.True(ok)                           // End returns after the failed commit
	is.Equal(snap.Spent.Tokens, int64(4)) // the store still holds the spend
	mu.Lock()
	is.Equal(len(reported), 1) // reported once
	mu.Unlock()
	is.True(errors.Is(j.Flush(), b.fail)) // Flush tells the last outcome

	b.mu.Lock()
	b.fail = nil
	b.mu.Unlock()
	s.Begin("s1")
	s.End("s1", sessions.Turn{Tokens: 1, Placed: true})
	got, stored := b.get("s1")
	is.True(stored)                      // the next change writes the session whole
	is.Equal(got.Spent.Tokens, int64(5)) // both spends
}

func TestCloseWritesWhatIsQueued(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	j := sessions.NewJournal(b, sessions.WithFlushDelay(time.Hour))
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(j))

	s.Begin("s1")
	is.NoErr(j.Close(context.Background())) // closes cleanly
	_, stored := b.get("s1")
	is.True(stored)                                                              // the write-behind change is written
	is.True(errors.Is(j.Close(context.Background()), sessions.ErrJournalClosed)) // once
	is.True(errors.Is(j.Flush(), sessions.ErrJournalClosed))                     // no flush after close
	s.Begin("s2")
	_, stored = b.get("s2")
	is.True(!stored) // changes after Close are not written (and do not block)
}

func TestWriteBehindCommitsWithinTheDelay(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	j := sessions.NewJournal(b, sessions.WithFlushDelay(5*time.Millisecond))
	defer func() { is.NoErr(j.Close(context.Background())) }()
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(j))

	s.Begin("s1")
	waitUntil(t, "the write-behind commit", func() bool { _, ok := b.get("s1"); return ok })
	is.Equal(j.Pending(), 0) // taken by the writer
}

func TestAdmissionPathDoesNotAllocate(t *testing.T) {
	is := is.New(t)
	c := newClock()
	j := newJournal(t, &discardBackend{})
	s := newStore(t, c, sessions.Budgets{Tokens: 1 << 60}, sessions.WithJournal(j))
	ids := make([]string, 512)
	for i := range ids {
		ids[i] = fmt.Sprint("s", i)
		s.Begin(ids[i])
		s.End(ids[i], sessions.Turn{Placed: true})
	}
	is.NoErr(j.Flush()) // the journal's queue has grown to its working size
	i := 0
	allocs := testing.AllocsPerRun(500, func() {
		id := ids[i%len(ids)]
		i++
		if _, err := s.Check(id); err != nil {
			t.Fatal(err)
		}
		s.Begin(id)
	})
	is.Equal(allocs, 0.0) // Check and Begin queue the change without allocating
}

// BenchmarkAdmitQueued is Check and Begin with a journal over a backend
// that writes nothing: the admission path's own cost of durability (the
// queueing), apart from the commits' CPU.
func BenchmarkAdmitQueued(b *testing.B) {
	j := sessions.NewJournal(&discardBackend{}, sessions.WithFlushDelay(time.Hour))
	defer func() { _ = j.Close(context.Background()) }()
	s, err := sessions.New(ttl, sessions.Budgets{Tokens: 1 << 60}, sessions.WithJournal(j))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprint("s-", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		if _, err := s.Check(id); err != nil {
			b.Fatal(err)
		}
		s.Begin(id)
	}
}
