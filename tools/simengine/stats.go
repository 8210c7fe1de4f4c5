package simengine

import (
	"context"
	"slices"
	"sync"
)

// Stats are the counters of GET /_sim/stats.
type Stats struct {
	// Active is the number of generations holding a slot now.
	Active int `json:"active"`
	// Waiting is the number of generate requests waiting for a slot.
	Waiting int `json:"waiting"`
	// Started counts generations that took a slot.
	Started uint64 `json:"started"`
	// Completed counts generations that sent their last frame.
	Completed uint64 `json:"completed"`
	// ClientClosed counts generations whose client went away mid-stream.
	ClientClosed uint64 `json:"client_closed"`
	// Failed counts requests answered 500 by fail_before_first.
	Failed uint64 `json:"failed"`
	// Dropped counts connections cut by drop_after.
	Dropped uint64 `json:"dropped"`
	// Hung counts generations stopped by hang_after (each also ends as
	// client_closed once its client goes away).
	Hung uint64 `json:"hung"`
	// Rejected counts generate requests refused before a slot: invalid,
	// unknown model, context exceeded, loading.
	Rejected uint64 `json:"rejected"`
	// TokensOut counts tokens sent by finished generations.
	TokensOut uint64 `json:"tokens_out"`
	// ActiveIDs are the request ids of the active generations, sorted.
	ActiveIDs []string `json:"active_ids"`
	// Idle is true when nothing is active or waiting.
	Idle bool `json:"idle"`
}

// outcome is how a generation ended.
type outcome uint8

const (
	outcomeCompleted outcome = iota
	outcomeClientClosed
	outcomeDropped
)

type tracker struct {
	mu     sync.Mutex
	s      Stats
	active map[string]struct{}
	idle   chan struct{} // closed while nothing is active or waiting
}

func newTracker() *tracker {
	t := &tracker{active: make(map[string]struct{}), idle: make(chan struct{})}
	close(t.idle)
	return t
}

func (t *tracker) busyLocked() {
	if t.s.Active+t.s.Waiting == 0 {
		t.idle = make(chan struct{})
	}
}

func (t *tracker) maybeIdleLocked() {
	if t.s.Active+t.s.Waiting == 0 {
		close(t.idle)
	}
}

func (t *tracker) waitBegin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busyLocked()
	t.s.Waiting++
}

// waitEnd ends a wait; started says whether the request took a slot.
func (t *tracker) waitEnd(id string, started bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if started {
		t.s.Active++
		t.s.Started++
		t.active[id] = struct{}{}
	}
	t.s.Waiting--
	t.maybeIdleLocked()
}

func (t *tracker) finish(id string, o outcome, hung bool, tokens int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.active, id)
	t.s.Active--
	t.s.TokensOut += uint64(tokens)
	switch o {
	case outcomeCompleted:
		t.s.Completed++
	case outcomeClientClosed:
		t.s.ClientClosed++
	case outcomeDropped:
		t.s.Dropped++
	}
	if hung {
		t.s.Hung++
	}
	t.maybeIdleLocked()
}

func (t *tracker) failed() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Failed++
}

func (t *tracker) rejected() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.s.Rejected++
}

func (t *tracker) snapshot() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.s
	s.ActiveIDs = make([]string, 0, len(t.active))
	for id := range t.active {
		s.ActiveIDs = append(s.ActiveIDs, id)
	}
	slices.Sort(s.ActiveIDs)
	s.Idle = s.Active+s.Waiting == 0
	return s
}

// waitIdle blocks until nothing is active or waiting, or ctx is done.
func (t *tracker) waitIdle(ctx context.Context) error {
	t.mu.Lock()
	ch := t.idle
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
