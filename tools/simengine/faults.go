package simengine

import (
	"fmt"
	"sync"
)

// Every is the count that applies a fault to every following request.
const Every = -1

// Faults are the failures injected into the next generate requests. A count
// is the number of next requests that get the fault (0: none, Every: all).
type Faults struct {
	// FailBeforeFirst requests answer 500 with the engine's error body before
	// any token.
	FailBeforeFirst int `json:"fail_before_first"`
	// DropAfter k >= 0: the connection is cut (hijacked and closed) after k
	// tokens, for the next DropCount requests; -1: off.
	DropAfter int `json:"drop_after"`
	DropCount int `json:"drop_count"`
	// HangAfter k >= 0: after k tokens nothing more is sent until the client
	// goes away, for the next HangCount requests; -1: off.
	HangAfter int `json:"hang_after"`
	HangCount int `json:"hang_count"`
	// Loading makes the server answer 503 "Loading model" like a server that is
	// still loading its model, until cleared.
	Loading bool `json:"loading"`
}

// FaultUpdate is the body of POST /_sim/faults: the fields present replace the
// current ones. Setting drop_after or hang_after without its count arms it for
// one request; a negative drop_after or hang_after disarms it.
type FaultUpdate struct {
	FailBeforeFirst *int  `json:"fail_before_first,omitempty"`
	DropAfter       *int  `json:"drop_after,omitempty"`
	DropCount       *int  `json:"drop_count,omitempty"`
	HangAfter       *int  `json:"hang_after,omitempty"`
	HangCount       *int  `json:"hang_count,omitempty"`
	Loading         *bool `json:"loading,omitempty"`
}

func (f Faults) validate() error {
	for _, v := range []struct {
		name string
		n    int
	}{
		{"fail_before_first", f.FailBeforeFirst}, {"drop_after", f.DropAfter}, {"drop_count", f.DropCount},
		{"hang_after", f.HangAfter}, {"hang_count", f.HangCount},
	} {
		if v.n < -1 {
			return fmt.Errorf("%w: %s must be >= -1, got %d", ErrInvalidOption, v.name, v.n)
		}
	}
	return nil
}

func (u FaultUpdate) apply(f Faults) Faults {
	if u.FailBeforeFirst != nil {
		f.FailBeforeFirst = *u.FailBeforeFirst
	}
	f.DropAfter, f.DropCount = armed(f.DropAfter, f.DropCount, u.DropAfter, u.DropCount)
	f.HangAfter, f.HangCount = armed(f.HangAfter, f.HangCount, u.HangAfter, u.HangCount)
	if u.Loading != nil {
		f.Loading = *u.Loading
	}
	return f
}

func armed(after, count int, newAfter, newCount *int) (int, int) {
	if newAfter != nil {
		after = max(*newAfter, -1)
		if after < 0 {
			count = 0
		} else if newCount == nil {
			count = 1
		}
	}
	if newCount != nil {
		count = *newCount
	}
	return after, count
}

// requestFaults is what one request drew from the fault state.
type requestFaults struct {
	fail      bool
	dropAfter int // -1: none
	hangAfter int // -1: none
}

type faultState struct {
	mu sync.Mutex
	f  Faults
}

func (s *faultState) get() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

func (s *faultState) update(u FaultUpdate) (Faults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := u.apply(s.f)
	if err := next.validate(); err != nil {
		return s.f, err
	}
	s.f = next
	return next, nil
}

func (s *faultState) loading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Loading
}

// take draws the faults of one generate request and consumes their counts.
func (s *faultState) take() requestFaults {
	s.mu.Lock()
	defer s.mu.Unlock()
	rf := requestFaults{dropAfter: -1, hangAfter: -1}
	if consume(&s.f.FailBeforeFirst) {
		rf.fail = true
		return rf
	}
	if s.f.DropAfter >= 0 && consume(&s.f.DropCount) {
		rf.dropAfter = s.f.DropAfter
	}
	if s.f.HangAfter >= 0 && consume(&s.f.HangCount) {
		rf.hangAfter = s.f.HangAfter
	}
	return rf
}

func consume(count *int) bool {
	switch {
	case *count == Every:
		return true
	case *count > 0:
		*count--
		return true
	}
	return false
}
