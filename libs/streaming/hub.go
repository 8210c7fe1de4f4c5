package streaming

import (
	"context"
	"fmt"
	"sync"
	"time"
	"weak"
)

// DefaultSweepInterval is the interval Hub.Run uses for a non-positive one.
const DefaultSweepInterval = time.Minute

// HubOption configures a Hub.
type HubOption func(*Hub)

// WithClock sets the clock of the hub and of the logs it creates (their
// FinishedAt); the default is time.Now.
func WithClock(now func() time.Time) HubOption {
	return func(h *Hub) { h.now = now }
}

// Hub maps task ids to their logs and keeps a finished log for a retention
// period so that late readers still get the whole stream. It is safe for
// concurrent use.
type Hub struct {
	retention time.Duration
	now       func() time.Time

	mu   sync.Mutex
	logs map[string]*Log
	// finished lists logs in the order they finished, so that Sweep only
	// looks at expired ones; entries before head are consumed.
	finished []finishedLog
	head     int
}

// finishedLog is an entry of Hub.finished. It points at its log weakly: a
// log deleted from the hub before its retention ended (archived elsewhere)
// is freed once its readers are done, not when the entry is swept.
type finishedLog struct {
	id  string
	log weak.Pointer[Log]
	at  time.Time
}

// NewHub returns an empty hub that forgets a log once it has been finished
// for longer than retention (a negative retention counts as 0).
func NewHub(retention time.Duration, opts ...HubOption) *Hub {
	h := &Hub{retention: max(retention, 0), now: time.Now, logs: make(map[string]*Log)}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

// Create returns a new open log for id. It returns an error wrapping
// ErrExists when id has a log that has not expired; an expired one is
// replaced.
func (h *Hub) Create(id string) (*Log, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.logs[id]; ok && !h.expired(old, h.now()) {
		return nil, fmt.Errorf("%w: %q", ErrExists, id)
	}
	l := newLog(h.now)
	l.hub, l.id = h, id
	h.logs[id] = l
	return l, nil
}

// Get returns the log of id; false when there is none or it has expired.
func (h *Hub) Get(id string) (*Log, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.logs[id]
	if !ok || h.expired(l, h.now()) {
		return nil, false
	}
	return l, true
}

// Delete forgets the log of id at once, finished or not. Readers already
// serving it are not affected.
func (h *Hub) Delete(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.logs, id)
}

// Sweep forgets the logs that finished more than the retention period ago
// and returns how many it forgot.
func (h *Hub) Sweep() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	n := 0
	for h.head < len(h.finished) {
		f := h.finished[h.head]
		if now.Sub(f.at) <= h.retention {
			break
		}
		if l, ok := h.logs[f.id]; ok && l == f.log.Value() {
			delete(h.logs, f.id)
			n++
		}
		h.finished[h.head] = finishedLog{}
		h.head++
	}
	if h.head > 0 && h.head*2 >= len(h.finished) {
		k := copy(h.finished, h.finished[h.head:])
		clear(h.finished[k:])
		h.finished = h.finished[:k]
		h.head = 0
	}
	return n
}

// Run calls Sweep every `every` (DefaultSweepInterval when not positive)
// until ctx is done. The caller owns the goroutine that runs it.
func (h *Hub) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.Sweep()
		}
	}
}

// Len returns the number of logs the hub holds, expired ones not yet swept
// included.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.logs)
}

// finishedAt queues a log that has just finished for Sweep.
func (h *Hub) finishedAt(id string, l *Log, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.finished = append(h.finished, finishedLog{id: id, log: weak.Make(l), at: at})
}

// expired reports whether l finished more than the retention period before
// now. The hub's lock is held; it takes the log's (never the other way).
func (h *Hub) expired(l *Log, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.finished && now.Sub(l.finishedAt) > h.retention
}
