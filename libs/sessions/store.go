package sessions

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrExhausted is returned by Check when one of the session's budgets is
// spent; the Snapshot returned with it tells which (ExhaustedBudget).
var ErrExhausted = errors.New("sessions: budget exhausted")

// shrinkMin is the map size below which the index is never rebuilt.
const shrinkMin = 1024

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock (default time.Now). Expiry assumes it does not
// run backwards; if it does, sweeping lags until it catches up, and lookups
// still treat expired sessions as gone.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithCostPerToken sets what one generated token costs (default 0: cost is
// never spent).
func WithCostPerToken(c float64) Option { return func(s *Store) { s.costPerToken = c } }

// WithJournal makes the store durable: every change is queued on j in the
// order it is made. A task's end (End) and a delete (Delete) return once
// their change is committed; a session created or refreshed (Begin), a pool
// served (Served) and a sweep are written behind. Load reads the journal's
// backend back. The store never closes j.
func WithJournal(j *Journal) Option { return func(s *Store) { s.journal = j } }

// Store keeps the sessions. It is safe for concurrent use; every method is
// O(1) except Sweep, which is O(expired sessions), and an occasional
// rebuild of the index after most sessions are gone.
type Store struct {
	ttl          time.Duration
	limits       Budgets
	costPerToken float64
	now          func() time.Time
	journal      *Journal // nil: in memory only

	mu   sync.Mutex
	byID map[string]*session
	peak int // largest len(byID) since the index was last built
	// The sessions in expiry order: every refresh sets expires to now+ttl
	// and moves the session to the tail, so the head expires first.
	head, tail *session
}

// session is one entry; guarded by Store.mu.
type session struct {
	id         string
	expires    time.Time
	turns      int
	active     int
	lastPool   string
	warm       bool
	spent      Usage
	prev, next *session
}

// New returns an empty store whose sessions expire ttl after their last
// task, with the given budgets for every session (zero fields unlimited).
func New(ttl time.Duration, limits Budgets, opts ...Option) (*Store, error) {
	switch {
	case ttl <= 0:
		return nil, errors.New("sessions: ttl must be positive")
	case limits.Tokens < 0, limits.Time < 0, limits.Cost < 0:
		return nil, errors.New("sessions: budgets must not be negative (0 = unlimited)")
	}
	s := &Store{ttl: ttl, limits: limits, now: time.Now, byID: make(map[string]*session)}
	for _, opt := range opts {
		opt(s)
	}
	if s.costPerToken < 0 {
		return nil, errors.New("sessions: cost per token must not be negative")
	}
	return s, nil
}

// Check reports the session as a task about to be admitted on it sees it:
// an unknown or expired session is reported as a new one would be. It
// returns ErrExhausted when a budget is spent. It changes nothing.
func (s *Store) Check(id string) (Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.liveLocked(id, now)
	if e == nil {
		return s.snapshotLocked(&session{id: id, expires: now.Add(s.ttl)}, now), nil
	}
	snap := s.snapshotLocked(e, now)
	if snap.ExhaustedBudget() != "" {
		return snap, ErrExhausted
	}
	return snap, nil
}

// Begin records a task admitted on the session: it creates the session on
// first use (or anew once expired), refreshes its TTL and counts the task
// as active until End. A session with active tasks does not expire.
func (s *Store) Begin(id string) Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.byID[id]
	switch {
	case e == nil:
		e = &session{id: id}
		s.byID[id] = e
		s.peak = max(s.peak, len(s.byID))
	case s.expiredLocked(e, now):
		s.unlinkLocked(e)
		*e = session{id: e.id} // a new session under the same id
	default:
		s.unlinkLocked(e)
	}
	e.active++
	e.expires = now.Add(s.ttl)
	s.pushLocked(e)
	s.persistLocked(e, false)
	return s.snapshotLocked(e, now)
}

// Served records that a task of the session produced its first token on
// pool: the pool's KV cache now holds the session's context. It reports
// whether the cache was already warm there (the previous turn ran on the
// same pool). An unknown session is left alone.
func (s *Store) Served(id, pool string) (reused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.byID[id]
	if e == nil {
		return false
	}
	reused = e.warm && e.lastPool == pool
	if !reused {
		e.lastPool, e.warm = pool, true
		s.persistLocked(e, false)
	}
	return reused
}

// End records the end of a task begun on the session: it spends t, counts a
// turn when the task was placed, refreshes the TTL and returns the session.
// It reports false when the session is gone (deleted while the task ran).
//
// With a journal, End returns once the spend is committed.
func (s *Store) End(id string, t Turn) (Snapshot, bool) {
	s.mu.Lock()
	e := s.byID[id]
	if e == nil {
		s.mu.Unlock()
		return Snapshot{}, false
	}
	now := s.now()
	e.spent.Tokens += max(t.Tokens, 0)
	e.spent.Time += max(t.Decode, 0)
	e.spent.Cost += float64(max(t.Tokens, 0)) * s.costPerToken
	if t.Placed {
		e.turns++
	}
	e.active = max(e.active-1, 0)
	e.expires = now.Add(s.ttl)
	s.unlinkLocked(e)
	s.pushLocked(e)
	n := s.persistLocked(e, true)
	snap := s.snapshotLocked(e, now)
	s.mu.Unlock()
	s.journal.wait(n)
	return snap, true
}

// Get returns a live session.
func (s *Store) Get(id string) (Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e := s.liveLocked(id, now)
	if e == nil {
		return Snapshot{}, false
	}
	return s.snapshotLocked(e, now), true
}

// LastPool returns the pool that served the session's last turn, "" when
// none or the session is unknown.
func (s *Store) LastPool(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.liveLocked(id, s.now()); e != nil {
		return e.lastPool
	}
	return ""
}

// Delete forgets a session and reports whether it was live. Tasks still
// running on it end without spending (End reports false); a later task
// starts a new session. With a journal, it returns once the delete is
// committed.
func (s *Store) Delete(id string) bool {
	s.mu.Lock()
	e := s.byID[id]
	if e == nil {
		s.mu.Unlock()
		return false
	}
	live := !s.expiredLocked(e, s.now())
	s.removeLocked(e)
	s.shrinkLocked()
	n := s.forgetLocked(id, true)
	s.mu.Unlock()
	s.journal.wait(n)
	return live
}

// Sweep forgets every expired session and returns how many. It looks only
// at the expired ones (the head of the expiry order); a session that still
// has active tasks is given a new TTL instead.
func (s *Store) Sweep() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for e := s.head; e != nil && !now.Before(e.expires); e = s.head {
		if e.active > 0 {
			s.unlinkLocked(e)
			e.expires = now.Add(s.ttl)
			s.pushLocked(e)
			s.persistLocked(e, false)
			continue
		}
		s.removeLocked(e)
		s.forgetLocked(e.id, false)
		n++
	}
	if n > 0 {
		s.shrinkLocked()
	}
	return n
}

// Run sweeps every interval until ctx is done (non-positive: the TTL).
func (s *Store) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = s.ttl
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sweep()
		}
	}
}

// Len is the number of sessions held, expired ones not yet swept included.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// TTL is the sessions' time to live after their last task.
func (s *Store) TTL() time.Duration { return s.ttl }

func (s *Store) expiredLocked(e *session, now time.Time) bool {
	return e.active == 0 && !now.Before(e.expires)
}

// liveLocked returns the session unless it is unknown or expired.
func (s *Store) liveLocked(id string, now time.Time) *session {
	e := s.byID[id]
	if e == nil || s.expiredLocked(e, now) {
		return nil
	}
	return e
}

func (s *Store) snapshotLocked(e *session, now time.Time) Snapshot {
	ttl := s.ttl
	if e.active == 0 {
		ttl = max(e.expires.Sub(now), 0)
	}
	return Snapshot{
		ID: e.id, TTLRemaining: ttl, Turns: e.turns, Active: e.active,
		LastPoolID: e.lastPool, KVWarm: e.warm, Limits: s.limits, Spent: e.spent,
	}
}

func (s *Store) pushLocked(e *session) {
	e.prev, e.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = e
	} else {
		s.head = e
	}
	s.tail = e
}

func (s *Store) unlinkLocked(e *session) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (s *Store) removeLocked(e *session) {
	s.unlinkLocked(e)
	delete(s.byID, e.id)
}

// shrinkLocked rebuilds the index once it holds a quarter of its peak: a
// Go map never gives back the memory of deleted entries.
func (s *Store) shrinkLocked() {
	if s.peak < shrinkMin || len(s.byID) > s.peak/4 {
		return
	}
	m := make(map[string]*session, len(s.byID))
	for k, v := range s.byID {
		m[k] = v
	}
	s.byID, s.peak = m, len(m)
}
