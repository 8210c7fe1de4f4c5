package sessions

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrJournalClosed is returned by Flush and Close once the journal is
// closed.
var ErrJournalClosed = errors.New("sessions: journal closed")

// Record is a session as stored: what survives a restart. Active tasks are
// not part of it (no task survives a restart).
type Record struct {
	ID       string
	Expires  time.Time // wall clock
	Turns    int
	LastPool string
	Warm     bool
	Spent    Usage
}

// Change is one write of a commit: Record stored under Record.ID, or, when
// Delete is set, the session Record.ID removed.
type Change struct {
	Record Record
	Delete bool
}

// Backend keeps sessions durably (the port of libs/sessions/boltstore; a
// networked store can be another adapter). Journal calls Commit from one
// goroutine at a time.
type Backend interface {
	// Commit applies changes in order, all or none, and returns once they
	// are durable. Deleting an absent session is not an error.
	Commit(ctx context.Context, changes []Change) error
	// Load calls fn with every stored session. A stored session that
	// cannot be read is passed with a non-nil error and its key (as the
	// Record's ID, for the logs) and removed before Load returns.
	Load(ctx context.Context, fn func(Record, error)) error
}

// journalBatch is the number of queued changes that starts a commit without
// waiting for the flush delay, which bounds the queue under a burst of
// write-behind changes.
const journalBatch = 1024

// defaultFlushDelay is how long a write-behind change may wait for others.
const defaultFlushDelay = time.Second

// JournalOption configures a Journal.
type JournalOption func(*Journal)

// WithFlushDelay sets how long a write-behind change (a session created or
// refreshed, a pool served, a sweep) may wait to share a commit (default
// 1 s); a synchronous change (a spend, a delete) is written at once and
// takes the waiting ones with it.
func WithFlushDelay(d time.Duration) JournalOption {
	return func(j *Journal) {
		if d > 0 {
			j.delay = d
		}
	}
}

// WithErrorHandler sets what is told about a failed commit (default:
// nothing). It is called from the journal's goroutine, once per failed
// commit.
func WithErrorHandler(fn func(error)) JournalOption {
	return func(j *Journal) { j.onError = fn }
}

// Journal writes a Store's changes to a Backend behind it with group
// commit: changes are queued in order under the store's lock, and one
// writer goroutine commits everything queued while it was busy in one
// Backend.Commit (one transaction, one fsync). A synchronous change wakes
// the writer at once and its caller waits until the commit holding it has
// settled; a write-behind change waits at most the flush delay (or until
// 1024 changes are queued). Each change carries a session's whole state,
// so the writer keeps only the last change of each session in a batch; a
// failed commit is reported to the error handler and not retried (the next
// change of each session writes it whole again).
//
// Close writes what is queued and stops the writer.
type Journal struct {
	backend Backend
	delay   time.Duration
	onError func(error)

	mu      sync.Mutex
	settled *sync.Cond // signaled after each commit
	pending []Change
	queued  uint64 // number of changes ever queued
	done    uint64 // changes up to this number have been committed (or failed)
	lastErr error  // outcome of the last commit
	closed  bool

	wake    chan struct{} // capacity 1: commit now
	lazy    chan struct{} // capacity 1: commit within the delay
	stopped chan struct{} // closed when the writer has returned
}

// NewJournal starts a journal in front of b. Close stops it.
func NewJournal(b Backend, opts ...JournalOption) *Journal {
	j := &Journal{
		backend: b, delay: defaultFlushDelay,
		wake: make(chan struct{}, 1), lazy: make(chan struct{}, 1), stopped: make(chan struct{}),
	}
	j.settled = sync.NewCond(&j.mu)
	for _, opt := range opts {
		opt(j)
	}
	go j.write()
	return j
}

// add queues c and returns its number; sync wakes the writer at once. It
// is called with the store's lock held, so changes queue in the order the
// store made them.
func (j *Journal) add(c Change, sync bool) uint64 {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return 0
	}
	j.pending = append(j.pending, c)
	j.queued++
	n := j.queued
	full := len(j.pending) >= journalBatch
	j.mu.Unlock()
	ch := j.lazy
	if sync || full {
		ch = j.wake
	}
	select {
	case ch <- struct{}{}:
	default:
	}
	return n
}

// Pending is the number of changes queued and not yet taken by the writer.
func (j *Journal) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.pending)
}

// wait blocks until the commit holding change n has settled.
func (j *Journal) wait(n uint64) {
	if n == 0 {
		return
	}
	j.mu.Lock()
	for j.done < n {
		j.settled.Wait()
	}
	j.mu.Unlock()
}

// Flush commits everything queued so far and returns the outcome of the
// last commit.
func (j *Journal) Flush() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrJournalClosed
	}
	n := j.queued
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.done < n {
		j.settled.Wait()
	}
	return j.lastErr
}

// Close stops accepting changes, commits what is queued and stops the
// writer; it returns the outcome of the last commit, or ctx.Err() when ctx
// ends first. It does not close the backend.
func (j *Journal) Close(ctx context.Context) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrJournalClosed
	}
	j.closed = true
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
	select {
	case <-j.stopped:
	case <-ctx.Done():
		return ctx.Err()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lastErr
}

// write is the writer goroutine.
func (j *Journal) write() {
	defer close(j.stopped)
	var timer *time.Timer
	batch := make([]Change, 0, journalBatch)
	index := make(map[string]int, journalBatch)
	for {
		select {
		case <-j.wake:
		case <-j.lazy:
			if timer == nil {
				timer = time.NewTimer(j.delay)
			} else {
				timer.Reset(j.delay)
			}
			select {
			case <-timer.C:
			case <-j.wake:
				timer.Stop()
			}
		}
		j.mu.Lock()
		batch, j.pending = j.pending, batch[:0]
		n, closed := j.queued, j.closed
		j.mu.Unlock()
		var err error
		if len(batch) > 0 {
			err = j.backend.Commit(context.Background(), lastOfEach(batch, index))
			if err != nil && j.onError != nil {
				j.onError(err)
			}
			// Keep the buffers for the next commit unless a burst grew them:
			// at most two queues and an index of 1,024 (≈ 260 KiB) stay. A
			// fresh queue is sized here, so that queueing does not allocate.
			clear(batch) // drop the references before the slice is reused
			if cap(batch) > journalBatch {
				batch = make([]Change, 0, journalBatch)
			}
			if len(index) > journalBatch {
				index = make(map[string]int, journalBatch)
			}
			clear(index)
		}
		j.mu.Lock()
		if n > j.done {
			j.done, j.lastErr = n, err
		}
		j.settled.Broadcast()
		drained := len(j.pending) == 0
		j.mu.Unlock()
		if closed && drained {
			return
		}
	}
}

// lastOfEach keeps, in place, the last change of each session of batch, in
// the order of those last changes; index is scratch space.
func lastOfEach(batch []Change, index map[string]int) []Change {
	for i := range batch {
		index[batch[i].Record.ID] = i
	}
	out := batch[:0]
	for i, c := range batch {
		if index[c.Record.ID] == i { // else a later change of the session supersedes it
			out = append(out, c)
		}
	}
	return out
}
