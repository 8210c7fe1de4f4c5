package artifacts

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrSpoolClosed is reported for an artifact submitted after Spool.Close.
var ErrSpoolClosed = errors.New("artifacts: spool closed")

// Spool writes artifacts to a store behind its callers: Submit hands an
// artifact over and returns at once; one writer goroutine stores everything
// submitted while it was busy in one PutBatch (one transaction and one
// fsync on a BoltStore), so the batch grows with the load without a timer.
// What waits is bounded by bytes: WaitRoom blocks while the submitted but
// unwritten content exceeds the bound, which is how a producer faster than
// the disk slows down instead of filling memory.
//
// A Spool is safe for concurrent use. Close writes what is pending and stops
// the writer.
type Spool struct {
	store     Store
	batch     func(context.Context, []Artifact) []PutResult
	maxBytes  int
	lingerFor time.Duration

	mu      sync.Mutex
	pending []spoolItem
	bytes   int           // content and metadata bytes submitted, not yet written
	room    chan struct{} // closed when bytes drops to maxBytes or below
	closed  bool

	wake chan struct{} // capacity 1
	done chan struct{} // closed when the writer has stopped
}

type spoolItem struct {
	a    Artifact
	done func(PutResult)
	size int
}

// SpoolOption configures a Spool.
type SpoolOption func(*Spool)

// WithLinger makes the writer wait up to d after the first artifact of a
// batch arrives, so that more join it (default 0: write at once).
func WithLinger(d time.Duration) SpoolOption { return func(sp *Spool) { sp.lingerFor = d } }

// NewSpool starts a spool in front of s that holds at most maxBytes of
// unwritten content before WaitRoom blocks (at least one artifact is always
// accepted). A BatchStore is written a batch at a time, any other Store one
// Put at a time.
func NewSpool(s Store, maxBytes int, opts ...SpoolOption) *Spool {
	sp := &Spool{
		store:    s,
		maxBytes: max(maxBytes, 1),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	for _, opt := range opts {
		opt(sp)
	}
	sp.batch = func(ctx context.Context, as []Artifact) []PutResult { return putBatchEach(ctx, s, as) }
	if bs, ok := s.(BatchStore); ok {
		sp.batch = bs.PutBatch
	}
	go sp.write()
	return sp
}

// Submit queues a for writing and returns at once; done, when not nil, is
// called from the writer goroutine with the outcome (ErrSpoolClosed after
// Close). done must not call back into the spool.
func (sp *Spool) Submit(a Artifact, done func(PutResult)) {
	size := len(a.Content) + len(a.Metadata)
	sp.mu.Lock()
	if sp.closed {
		sp.mu.Unlock()
		if done != nil {
			done(PutResult{Err: ErrSpoolClosed})
		}
		return
	}
	sp.pending = append(sp.pending, spoolItem{a: a, done: done, size: size})
	sp.bytes += size
	sp.mu.Unlock()
	select {
	case sp.wake <- struct{}{}:
	default:
	}
}

// WaitRoom blocks while more than the bound is waiting to be written. It
// returns ctx.Err() when ctx ends first, nil otherwise.
func (sp *Spool) WaitRoom(ctx context.Context) error {
	for {
		sp.mu.Lock()
		if sp.bytes <= sp.maxBytes || sp.closed {
			sp.mu.Unlock()
			return nil
		}
		if sp.room == nil {
			sp.room = make(chan struct{})
		}
		room := sp.room
		sp.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Pending returns how many artifacts and content bytes wait to be written.
func (sp *Spool) Pending() (artifacts, bytes int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.pending), sp.bytes
}

// Close stops accepting artifacts, waits until everything submitted before
// is written (or ctx ends) and stops the writer. It does not close the
// store.
func (sp *Spool) Close(ctx context.Context) error {
	sp.mu.Lock()
	if !sp.closed {
		sp.closed = true
		sp.openRoomLocked()
	}
	sp.mu.Unlock()
	select {
	case sp.wake <- struct{}{}:
	default:
	}
	select {
	case <-sp.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write is the writer goroutine.
func (sp *Spool) write() {
	defer close(sp.done)
	var batch []spoolItem
	var as []Artifact
	for {
		sp.mu.Lock()
		waiting, closed := len(sp.pending), sp.closed
		sp.mu.Unlock()
		if waiting == 0 {
			if closed {
				return
			}
			<-sp.wake
			continue
		}
		sp.linger()
		sp.mu.Lock()
		batch, sp.pending = sp.pending, batch[:0]
		sp.mu.Unlock()
		as = as[:0]
		for _, it := range batch {
			as = append(as, it.a)
		}
		res := sp.batch(context.Background(), as)
		written := 0
		for i, it := range batch {
			if it.done != nil {
				it.done(res[i])
			}
			written += it.size
			batch[i] = spoolItem{} // drop the references before the slice is reused
		}
		clear(as)
		sp.mu.Lock()
		sp.bytes -= written
		if sp.bytes <= sp.maxBytes {
			sp.openRoomLocked()
		}
		sp.mu.Unlock()
	}
}

// linger gives the artifacts that follow the first of a batch a moment to
// join it: a transaction per few artifacts rewrites the
// same leaf pages and pays the commit again and again, while nobody waits
// for the write itself (WaitRoom waits only for room). It returns early
// once half the bound is waiting or the spool closes.
func (sp *Spool) linger() {
	if sp.lingerFor <= 0 {
		return
	}
	t := time.NewTimer(sp.lingerFor)
	defer t.Stop()
	for {
		sp.mu.Lock()
		enough := sp.bytes >= sp.maxBytes/2 || sp.closed
		sp.mu.Unlock()
		if enough {
			return
		}
		select {
		case <-t.C:
			return
		case <-sp.wake:
		}
	}
}

// openRoomLocked wakes every WaitRoom.
func (sp *Spool) openRoomLocked() {
	if sp.room != nil {
		close(sp.room)
		sp.room = nil
	}
}

// Get reads from the store behind the spool: an artifact is there once its
// Submit callback reported it stored.
func (sp *Spool) Get(ctx context.Context, id string) (Artifact, error) { return sp.store.Get(ctx, id) }
