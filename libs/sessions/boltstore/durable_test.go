package boltstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

// The store with its journal over the file: what a restart brings back.

func TestRestartBringsBackSessions(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	c := newClock()
	limits := sessions.Budgets{Tokens: 100, Time: time.Minute, Cost: 1}
	d, st := openDurable(t, path, c, limits)
	is.Equal(st, sessions.LoadStats{}) // a new file is empty
	d.store.Begin("chat")
	d.store.Served("chat", "pool-a")
	d.store.End("chat", sessions.Turn{Tokens: 60, Decode: 20 * time.Second, Placed: true})
	d.store.Begin("short")
	d.store.End("short", sessions.Turn{Tokens: 100, Placed: true})
	d.store.Begin("deleted")
	d.store.End("deleted", sessions.Turn{Placed: true})
	is.True(d.store.Delete("deleted")) // deleted before the restart
	c.Add(9 * time.Minute)
	d.store.Begin("chat")
	d.store.End("chat", sessions.Turn{Tokens: 10, Placed: true})
	d.close(t)

	c.Add(2 * time.Minute) // "short" expired while the daemon was down
	d, st = openDurable(t, path, c, limits)
	defer d.close(t)
	is.Equal(st, sessions.LoadStats{Loaded: 1, Expired: 1}) // chat back, short dropped
	got, ok := d.store.Get("chat")
	is.True(ok)                                   // back
	is.Equal(got.Turns, 2)                        // its turns
	is.Equal(got.LastPoolID, "pool-a")            // its last pool
	is.Equal(got.TTLRemaining, ttl-2*time.Minute) // the stored expiry, measured now
	tokens, _ := got.TokensRemaining()
	is.Equal(tokens, int64(30)) // 70 tokens spent
	decode, _ := got.TimeRemaining()
	is.Equal(decode, 40*time.Second) // 20 s decoded
	_, ok = d.store.Get("short")
	is.True(!ok) // expired: not back
	_, ok = d.store.Get("deleted")
	is.True(!ok) // deleted: not back
	got, err := d.store.Check("short")
	is.NoErr(err)                         // a new session would start
	is.Equal(got.Spent, sessions.Usage{}) // with fresh budgets

	d.store.Begin("chat")
	d.store.End("chat", sessions.Turn{Tokens: 30, Placed: true})
	_, err = d.store.Check("chat")
	is.True(errors.Is(err, sessions.ErrExhausted)) // the budget runs out across the restart
}

func TestConcurrentEndsAreAllDurable(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	c := newClock()
	d, _ := openDurable(t, path, c, sessions.Budgets{})
	const workers, turns = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range turns {
				id := fmt.Sprint("w", w, "-", i%5)
				d.store.Begin(id)
				d.store.Served(id, "pool-"+strconv.Itoa(i%3))
				d.store.End(id, sessions.Turn{Tokens: 1, Decode: time.Millisecond, Placed: true})
			}
		})
	}
	wg.Go(func() { // deletes and sweeps race with the ends
		for i := range turns {
			d.store.Delete(fmt.Sprint("gone-", i))
			d.store.Sweep()
		}
	})
	wg.Wait()
	// No Close yet: what End returned is committed already.
	got, errs := load(t, d.file)
	is.Equal(len(errs), 0)        // all readable
	is.Equal(len(got), workers*5) // every session
	for _, r := range got {
		is.Equal(r.Spent.Tokens, int64(turns/5)) // every spend
		is.Equal(r.Turns, turns/5)               // every turn
	}
	d.close(t)
}

// BenchmarkEnd is what persistence adds to a sessioned task's end: End on
// the store alone, then with the journal over the bbolt file (the spend on
// disk, fsync included, before End returns), one task at a time and with
// concurrent tasks sharing commits.
func BenchmarkEnd(b *testing.B) {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "s-" + strconv.Itoa(i)
	}
	run := func(b *testing.B, s *sessions.Store, parallel bool) {
		for _, id := range ids {
			s.Begin(id)
		}
		turn := sessions.Turn{Tokens: 16, Decode: time.Millisecond, Placed: true}
		b.ReportAllocs()
		b.ResetTimer()
		if !parallel {
			for i := 0; b.Loop(); i++ {
				s.End(ids[i%len(ids)], turn)
			}
			return
		}
		var next sync.Mutex
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				next.Lock()
				id := ids[n%len(ids)]
				n++
				next.Unlock()
				s.End(id, turn)
			}
		})
	}
	b.Run("memory", func(b *testing.B) {
		s, err := sessions.New(ttl, sessions.Budgets{Tokens: 1 << 60})
		if err != nil {
			b.Fatal(err)
		}
		run(b, s, false)
	})
	for _, parallel := range []bool{false, true} {
		b.Run(fmt.Sprintf("bolt/parallel=%v", parallel), func(b *testing.B) {
			d, _ := openDurable(b, filepath.Join(b.TempDir(), "sessions.db"), newClock(), sessions.Budgets{Tokens: 1 << 60})
			defer d.close(b)
			if parallel {
				b.SetParallelism(8)
			}
			run(b, d.store, parallel)
		})
	}
}

// BenchmarkAdmit is the admission path (Check, then Begin) without and with
// the journal: the journal only queues the change (written behind).
func BenchmarkAdmit(b *testing.B) {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "s-" + strconv.Itoa(i)
	}
	run := func(b *testing.B, s *sessions.Store) {
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
	b.Run("memory", func(b *testing.B) {
		s, err := sessions.New(ttl, sessions.Budgets{Tokens: 1 << 60})
		if err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
	b.Run("bolt", func(b *testing.B) {
		d, _ := openDurable(b, filepath.Join(b.TempDir(), "sessions.db"), newClock(), sessions.Budgets{Tokens: 1 << 60})
		defer d.close(b)
		run(b, d.store)
	})
}
