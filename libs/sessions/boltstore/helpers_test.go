package boltstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/sessions/boltstore"
)

// open opens the file at path and closes it at the end of the test.
func open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, boltstore.WithLockTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// load returns every stored session and the errors Load reported.
func load(t testing.TB, s *boltstore.Store) (map[string]sessions.Record, []error) {
	t.Helper()
	got := map[string]sessions.Record{}
	var errs []error
	err := s.Load(context.Background(), func(r sessions.Record, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		got[r.ID] = r
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, errs
}

// clock is a fake clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// durable is a sessions.Store with a journal over a boltstore file.
type durable struct {
	file    *boltstore.Store
	journal *sessions.Journal
	store   *sessions.Store
}

// openDurable opens path as a session store with the fake clock, loads it
// and returns it with what Load found; close it with closeDurable.
func openDurable(t testing.TB, path string, c *clock, limits sessions.Budgets) (*durable, sessions.LoadStats) {
	t.Helper()
	f, err := boltstore.Open(path, boltstore.WithLockTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	j := sessions.NewJournal(f)
	s, err := sessions.New(ttl, limits, sessions.WithClock(c.Now), sessions.WithJournal(j))
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &durable{file: f, journal: j, store: s}, st
}

func (d *durable) close(t testing.TB) {
	t.Helper()
	if err := d.journal.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.file.Close(); err != nil {
		t.Fatal(err)
	}
}

const ttl = 10 * time.Minute
