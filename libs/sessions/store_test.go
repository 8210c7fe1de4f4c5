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

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		ttl    time.Duration
		limits sessions.Budgets
		opts   []sessions.Option
	}{
		{"zero ttl", 0, sessions.Budgets{}, nil},
		{"negative ttl", -time.Second, sessions.Budgets{}, nil},
		{"negative tokens", time.Minute, sessions.Budgets{Tokens: -1}, nil},
		{"negative time", time.Minute, sessions.Budgets{Time: -time.Millisecond}, nil},
		{"negative cost", time.Minute, sessions.Budgets{Cost: -0.5}, nil},
		{"negative cost per token", time.Minute, sessions.Budgets{}, []sessions.Option{sessions.WithCostPerToken(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := sessions.New(tt.ttl, tt.limits, tt.opts...)
			is.True(err != nil) // refused
		})
	}
}

func TestCreatedOnFirstUse(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{Tokens: 100})

	_, ok := s.Get("s1")
	is.True(!ok) // unknown before its first task
	snap, err := s.Check("s1")
	is.NoErr(err)                    // a new session is not exhausted
	is.Equal(snap.TTLRemaining, ttl) // as a new session
	is.Equal(s.Len(), 0)             // Check creates nothing
	snap = s.Begin("s1")
	is.Equal(snap.Active, 1) // the admitted task is active
	is.Equal(snap.Turns, 0)  // no turn ended yet
	got, ok := s.Get("s1")
	is.True(ok)            // created
	is.Equal(got.ID, "s1") // under its id
	left, limited := got.TokensRemaining()
	is.True(limited)           // a token budget is configured
	is.Equal(left, int64(100)) // nothing spent
	_, limited = got.TimeRemaining()
	is.True(!limited)    // unset budgets are unlimited
	is.Equal(s.Len(), 1) // one session
}

func TestTTLRefreshedByEachTask(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{})

	s.Begin("s")
	c.Add(3 * time.Minute)
	snap, ok := s.Get("s")
	is.True(ok)                      // alive
	is.Equal(snap.TTLRemaining, ttl) // an active session keeps its full TTL
	s.End("s", sessions.Turn{Placed: true})
	c.Add(ttl - time.Second)
	snap, ok = s.Get("s")
	is.True(ok)                              // the end refreshed the TTL
	is.Equal(snap.TTLRemaining, time.Second) // counted from the end
	s.Begin("s")
	s.End("s", sessions.Turn{Placed: true})
	c.Add(ttl - time.Millisecond)
	_, ok = s.Get("s")
	is.True(ok) // the second task refreshed it again
	c.Add(time.Millisecond)
	_, ok = s.Get("s")
	is.True(!ok) // expired exactly one TTL after its last task
}

func TestActiveSessionDoesNotExpire(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{})
	s.Begin("long")
	c.Add(3 * ttl)
	is.Equal(s.Sweep(), 0) // a session with a running task stays
	_, ok := s.Get("long")
	is.True(ok) // still there
	_, ok = s.End("long", sessions.Turn{Placed: true})
	is.True(ok) // its task spends on it
	c.Add(ttl)
	is.Equal(s.Sweep(), 1) // gone one TTL after the task ended
	is.Equal(s.Len(), 0)   // freed
}

func TestSweepForgetsOnlyExpired(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{})
	for i := range 5 {
		s.End(fmt.Sprint(i), sessions.Turn{}) // unknown: no effect
		s.Begin(fmt.Sprint(i))
		s.End(fmt.Sprint(i), sessions.Turn{})
		c.Add(time.Minute)
	}
	// Sessions 0..4 expire at +10, +11, ... +14 minutes from the start; it is +5 now.
	s.Begin("0") // refreshed: now expires at +15
	s.End("0", sessions.Turn{})
	c.Add(7 * time.Minute) // +12: 1 and 2 expired
	is.Equal(s.Sweep(), 2) // exactly the expired ones
	is.Equal(s.Len(), 3)   // 0, 3, 4 remain
	for _, id := range []string{"0", "3", "4"} {
		_, ok := s.Get(id)
		is.True(ok) // not expired yet
	}
	is.Equal(s.Sweep(), 0) // nothing more to do
	c.Add(ttl)
	is.Equal(s.Sweep(), 3) // all expired
	is.Equal(s.Len(), 0)   // empty
}

func TestExpiredSessionStartsAfresh(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{Tokens: 10})
	s.Begin("s")
	s.End("s", sessions.Turn{Tokens: 10, Placed: true})
	_, err := s.Check("s")
	is.True(errors.Is(err, sessions.ErrExhausted)) // spent
	c.Add(ttl)
	_, err = s.Check("s")
	is.NoErr(err) // expired (not swept yet): a new session would start
	snap := s.Begin("s")
	is.Equal(snap.Turns, 0)                // fresh
	is.Equal(snap.Spent, sessions.Usage{}) // with its budgets back
	c.Add(ttl / 2)
	is.Equal(s.Sweep(), 0) // the new one is not expired
	is.Equal(s.Len(), 1)   // one entry under the id
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name      string
		limits    sessions.Budgets
		turns     []sessions.Turn
		exhausted string
		tokens    int64 // tokens left (when limited)
		timeLeft  time.Duration
		cost      float64 // cost left (when limited)
	}{
		{"tokens left", sessions.Budgets{Tokens: 20}, []sessions.Turn{{Tokens: 8}, {Tokens: 8}}, "", 4, 0, 0},
		{"tokens spent exactly", sessions.Budgets{Tokens: 16}, []sessions.Turn{{Tokens: 8}, {Tokens: 8}}, sessions.BudgetTokens, 0, 0, 0},
		{"tokens overspent clamp at 0", sessions.Budgets{Tokens: 10}, []sessions.Turn{{Tokens: 8}, {Tokens: 8}}, sessions.BudgetTokens, 0, 0, 0},
		{"time spent", sessions.Budgets{Time: time.Second}, []sessions.Turn{{Decode: 600 * time.Millisecond}, {Decode: 600 * time.Millisecond}}, sessions.BudgetTime, 0, 0, 0},
		{"time left", sessions.Budgets{Time: time.Second}, []sessions.Turn{{Decode: 300 * time.Millisecond}}, "", 0, 700 * time.Millisecond, 0},
		{"cost left rounded", sessions.Budgets{Cost: 0.001}, []sessions.Turn{{Tokens: 1}, {Tokens: 1}, {Tokens: 1}}, "", 0, 0, 0.000994},
		{"cost spent", sessions.Budgets{Cost: 0.00001}, []sessions.Turn{{Tokens: 5}}, sessions.BudgetCost, 0, 0, 0},
		{"tokens first of several", sessions.Budgets{Tokens: 5, Time: time.Hour}, []sessions.Turn{{Tokens: 5, Decode: time.Second}}, sessions.BudgetTokens, 0, time.Hour - time.Second, 0},
		{"unlimited never exhausted", sessions.Budgets{}, []sessions.Turn{{Tokens: 1 << 40, Decode: time.Hour}}, "", 0, 0, 0},
		{"negative spends ignored", sessions.Budgets{Tokens: 5}, []sessions.Turn{{Tokens: -50, Decode: -time.Hour}}, "", 5, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newStore(t, newClock(), tt.limits, sessions.WithCostPerToken(0.000002))
			for _, turn := range tt.turns {
				s.Begin("s")
				s.End("s", turn)
			}
			snap, err := s.Check("s")
			is.Equal(snap.ExhaustedBudget(), tt.exhausted)                      // the spent budget, if any
			is.Equal(errors.Is(err, sessions.ErrExhausted), tt.exhausted != "") // refused when spent
			tokens, _ := snap.TokensRemaining()
			is.Equal(tokens, tt.tokens) // tokens left
			left, _ := snap.TimeRemaining()
			is.Equal(left, tt.timeLeft) // time left
			cost, _ := snap.CostRemaining()
			is.Equal(cost, tt.cost) // cost left
		})
	}
}

func TestCostSpentPerToken(t *testing.T) {
	is := is.New(t)
	s := newStore(t, newClock(), sessions.Budgets{Cost: 1}, sessions.WithCostPerToken(0.01))
	s.Begin("s")
	snap, _ := s.End("s", sessions.Turn{Tokens: 30, Placed: true})
	is.Equal(snap.Spent.Tokens, int64(30)) // tokens spent
	cost, ok := snap.CostRemaining()
	is.True(ok)             // limited
	is.Equal(cost, 0.7)     // 1 − 30 × 0.01
	is.Equal(snap.Turns, 1) // one turn
}

func TestServedTracksAffinityAndWarmth(t *testing.T) {
	is := is.New(t)
	s := newStore(t, newClock(), sessions.Budgets{})
	is.True(!s.Served("unknown", "p0")) // unknown sessions are left alone
	is.Equal(s.LastPool("unknown"), "") // and have no pool

	s.Begin("s")
	snap, _ := s.Get("s")
	is.True(!snap.KVWarm)           // nothing ran yet
	is.True(!s.Served("s", "p0"))   // first turn: cold
	is.Equal(s.LastPool("s"), "p0") // remembered
	s.End("s", sessions.Turn{Placed: true})
	s.Begin("s")
	is.True(s.Served("s", "p0")) // second turn on the same pool: warm
	s.End("s", sessions.Turn{Placed: true})
	s.Begin("s")
	is.True(!s.Served("s", "p1")) // another pool: cold there
	snap, _ = s.End("s", sessions.Turn{Placed: true})
	is.Equal(snap.LastPoolID, "p1") // the pool of the last turn
	is.True(snap.KVWarm)            // warm there now
	is.Equal(snap.Turns, 3)         // three turns
}

func TestTurnsCountPlacedTasksOnly(t *testing.T) {
	is := is.New(t)
	s := newStore(t, newClock(), sessions.Budgets{})
	s.Begin("s")
	s.End("s", sessions.Turn{}) // canceled while queued
	s.Begin("s")
	snap, _ := s.End("s", sessions.Turn{Tokens: 3, Placed: true})
	is.Equal(snap.Turns, 1)  // only the task that ran
	is.Equal(snap.Active, 0) // both ended
}

func TestDelete(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{Tokens: 10})
	is.True(!s.Delete("s")) // unknown
	s.Begin("s")
	is.True(s.Delete("s")) // deleted while its task runs
	_, ok := s.End("s", sessions.Turn{Tokens: 10, Placed: true})
	is.True(!ok) // the task's end finds no session
	_, ok = s.Get("s")
	is.True(!ok) // gone
	snap := s.Begin("s")
	is.Equal(snap.Spent, sessions.Usage{}) // a later task starts a new session
	s.End("s", sessions.Turn{})
	c.Add(ttl)
	is.True(!s.Delete("s")) // expired counts as gone
	is.Equal(s.Len(), 0)    // and is freed
}

func TestRunSweepsUntilCanceled(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{})
	s.Begin("s")
	s.End("s", sessions.Turn{})
	c.Add(ttl)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll with a deadline
	}
	is.Equal(s.Len(), 0) // swept by Run
	cancel()
	<-done
}

func TestConcurrentUse(t *testing.T) {
	is := is.New(t)
	c := newClock()
	s := newStore(t, c, sessions.Budgets{Tokens: 1 << 40}, sessions.WithCostPerToken(0.001))
	const workers, perWorker = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				id := fmt.Sprint("s", i%16)
				if _, err := s.Check(id); err != nil {
					t.Error(err)
					return
				}
				s.Begin(id)
				s.Served(id, fmt.Sprint("p", w%3))
				s.Get(id)
				s.LastPool(id)
				s.End(id, sessions.Turn{Tokens: 1, Decode: time.Millisecond, Placed: true})
				if i%50 == 0 {
					c.Add(time.Second)
					s.Sweep()
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	var tokens int64
	for i := range 16 {
		snap, ok := s.Get(fmt.Sprint("s", i))
		is.True(ok) // every session alive
		total += snap.Turns
		tokens += snap.Spent.Tokens
		is.Equal(snap.Active, 0) // every task ended
	}
	is.Equal(total, workers*perWorker)         // every turn counted once
	is.Equal(tokens, int64(workers*perWorker)) // every token spent once
}
