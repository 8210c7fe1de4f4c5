package sessions_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

func TestLoadBringsBackLiveSessions(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	now := c.Now()
	b.stored["live"] = sessions.Record{
		ID: "live", Expires: now.Add(4 * time.Minute), Turns: 3, LastPool: "pool-a", Warm: true,
		Spent: sessions.Usage{Tokens: 70, Time: 3 * time.Second, Cost: 0.25},
	}
	b.stored["expired"] = sessions.Record{ID: "expired", Expires: now.Add(-time.Second), Spent: sessions.Usage{Tokens: 100}}
	b.stored["just-expired"] = sessions.Record{ID: "just-expired", Expires: now}
	b.stored["future"] = sessions.Record{ID: "future", Expires: now.Add(time.Hour)} // beyond one TTL
	b.corrupt = []string{"broken"}
	s := newStore(t, c, sessions.Budgets{Tokens: 100, Time: time.Minute}, sessions.WithJournal(newJournal(t, b)))

	st, err := s.Load(context.Background())
	is.NoErr(err)                                                                        // loaded
	is.Equal(st, sessions.LoadStats{Loaded: 2, Expired: 2, Corrupt: []string{"broken"}}) // what was found
	is.Equal(s.Len(), 2)                                                                 // the live ones only

	got, ok := s.Get("live")
	is.True(ok)                               // back
	is.Equal(got.TTLRemaining, 4*time.Minute) // measured from the stored expiry
	is.Equal(got.Turns, 3)                    // turns kept
	is.Equal(got.LastPoolID, "pool-a")        // affinity kept
	is.True(got.KVWarm)                       // warmth kept
	left, _ := got.TokensRemaining()
	is.Equal(left, int64(30)) // the spend kept
	d, _ := got.TimeRemaining()
	is.Equal(d, 57*time.Second) // decode time kept
	is.Equal(got.Active, 0)     // no task survives a restart
	fut, ok := s.Get("future")
	is.True(ok)                     // back
	is.Equal(fut.TTLRemaining, ttl) // at most one TTL
	_, ok = s.Get("expired")
	is.True(!ok) // an expired session does not come back

	stored, _ := b.snapshot()
	_, kept := stored["expired"]
	is.True(!kept) // removed from the backend by Load
	_, kept = stored["just-expired"]
	is.True(!kept)           // expiry is inclusive, as in memory
	is.Equal(len(stored), 2) // the live ones stay

	c.Add(4 * time.Minute)
	is.Equal(s.Sweep(), 1) // the loaded session expires when it was due
	c.Add(ttl)
	is.Equal(s.Sweep(), 1) // then the other
}

func TestLoadedSessionsSweepInExpiryOrder(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	s := newStore(t, c, sessions.Budgets{}, sessions.WithJournal(newJournal(t, b)))
	s.Begin("held") // in memory before Load: expires at +TTL once ended
	s.End("held", sessions.Turn{Placed: true})
	now := c.Now()
	b.stored["held"] = sessions.Record{ID: "held", Expires: now.Add(time.Minute), Turns: 9}
	b.stored["t5"] = sessions.Record{ID: "t5", Expires: now.Add(5 * time.Minute)}
	b.stored["t1"] = sessions.Record{ID: "t1", Expires: now.Add(time.Minute)}
	b.stored["t9"] = sessions.Record{ID: "t9", Expires: now.Add(9 * time.Minute)}

	st, err := s.Load(context.Background())
	is.NoErr(err)          // loaded
	is.Equal(st.Loaded, 3) // the one held in memory is not replaced
	held, _ := s.Get("held")
	is.Equal(held.Turns, 1) // memory wins
	steps := []struct {
		after time.Duration
		swept int
		gone  string
	}{
		{time.Minute, 1, "t1"},
		{4 * time.Minute, 1, "t5"},
		{4 * time.Minute, 1, "t9"},
		{time.Minute, 1, "held"},
	}
	for _, step := range steps {
		c.Add(step.after)
		is.Equal(s.Sweep(), step.swept) // one at a time, in expiry order
		_, ok := s.Get(step.gone)
		is.True(!ok) // the one due
	}
	is.Equal(s.Len(), 0) // all gone
}

func TestLoadNeedsAJournal(t *testing.T) {
	is := is.New(t)
	s := newStore(t, newClock(), sessions.Budgets{})
	_, err := s.Load(context.Background())
	is.True(errors.Is(err, sessions.ErrNoJournal)) // refused
}

func TestRestartKeepsTheSpend(t *testing.T) {
	is := is.New(t)
	c := newClock()
	b := newFakeBackend()
	limits := sessions.Budgets{Tokens: 10}
	first := newStore(t, c, limits, sessions.WithJournal(newJournal(t, b)))
	for range 2 {
		first.Begin("s")
		first.End("s", sessions.Turn{Tokens: 5, Placed: true})
	}
	_, err := first.Check("s")
	is.True(errors.Is(err, sessions.ErrExhausted)) // spent before the restart

	c.Add(time.Minute)
	second := newStore(t, c, limits, sessions.WithJournal(newJournal(t, b)))
	_, err = second.Load(context.Background())
	is.NoErr(err) // loaded
	snap, err := second.Check("s")
	is.True(errors.Is(err, sessions.ErrExhausted)) // still spent after it
	is.Equal(snap.TTLRemaining, ttl-time.Minute)   // the wait until a fresh session
	is.Equal(snap.Turns, 2)                        // the turns
	c.Add(ttl)
	_, err = second.Check("s")
	is.NoErr(err) // expired: a new session would start
}
