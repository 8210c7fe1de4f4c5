package sessions

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrNoJournal is returned by Load on a store without a journal.
var ErrNoJournal = errors.New("sessions: the store has no journal")

// LoadStats is what Load found in the backend.
type LoadStats struct {
	Loaded  int      // live sessions now in the store
	Expired int      // expired sessions removed from the backend
	Corrupt []string // keys of unreadable sessions, removed by the backend
}

// persistLocked queues the session's state on the journal and returns the
// change's number (0 without a journal); sync asks for a commit at once.
func (s *Store) persistLocked(e *session, sync bool) uint64 {
	if s.journal == nil {
		return 0
	}
	return s.journal.add(Change{Record: Record{
		ID: e.id, Expires: e.expires, Turns: e.turns, LastPool: e.lastPool, Warm: e.warm, Spent: e.spent,
	}}, sync)
}

// forgetLocked queues the removal of a session on the journal.
func (s *Store) forgetLocked(id string, sync bool) uint64 {
	if s.journal == nil {
		return 0
	}
	return s.journal.add(Change{Record: Record{ID: id}, Delete: true}, sync)
}

// Load reads the journal's backend into the store; call it before the first
// task. A live stored session comes back with its turns, last pool and
// spent budgets, and expires at its stored expiry (wall clock; at most one
// TTL from now). Expired sessions are removed from the backend before Load
// returns, and so are unreadable ones (by the backend; LoadStats names
// them: their spend is lost). A session the store already holds keeps its
// state in memory.
func (s *Store) Load(ctx context.Context) (LoadStats, error) {
	if s.journal == nil {
		return LoadStats{}, ErrNoJournal
	}
	var st LoadStats
	var live []*session
	var gone []string
	now := s.now()
	err := s.journal.backend.Load(ctx, func(r Record, err error) {
		switch {
		case err != nil:
			st.Corrupt = append(st.Corrupt, r.ID)
		case !now.Before(r.Expires):
			st.Expired++
			gone = append(gone, r.ID)
		default:
			expires := r.Expires
			if latest := now.Add(s.ttl); expires.After(latest) {
				expires = latest // a clock set back, or a shorter TTL than when it was stored
			}
			live = append(live, &session{
				id: r.ID, expires: expires, turns: r.Turns,
				lastPool: r.LastPool, warm: r.Warm, spent: r.Spent,
			})
		}
	})
	if err != nil {
		return LoadStats{}, fmt.Errorf("sessions: load: %w", err)
	}
	// The expiry list must stay in expiry order.
	slices.SortFunc(live, func(a, b *session) int { return a.expires.Compare(b.expires) })
	s.mu.Lock()
	for _, e := range live {
		if _, held := s.byID[e.id]; held {
			continue
		}
		s.byID[e.id] = e
		s.insertLocked(e)
		st.Loaded++
	}
	s.peak = max(s.peak, len(s.byID))
	for _, id := range gone {
		s.forgetLocked(id, false)
	}
	s.mu.Unlock()
	if len(gone) > 0 {
		if err := s.journal.Flush(); err != nil {
			return st, fmt.Errorf("sessions: load: remove expired sessions: %w", err)
		}
	}
	return st, nil
}

// insertLocked links e into the expiry list at its place, searching from
// the tail: sessions loaded in expiry order go to the tail at once.
func (s *Store) insertLocked(e *session) {
	at := s.tail
	for at != nil && at.expires.After(e.expires) {
		at = at.prev
	}
	if at == nil { // the earliest: the new head
		e.prev, e.next = nil, s.head
		if s.head != nil {
			s.head.prev = e
		} else {
			s.tail = e
		}
		s.head = e
		return
	}
	e.prev, e.next = at, at.next
	if at.next != nil {
		at.next.prev = e
	} else {
		s.tail = e
	}
	at.next = e
}
