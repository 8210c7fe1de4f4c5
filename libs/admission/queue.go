package admission

import (
	"errors"
	"time"
)

// Errors returned by Push.
var (
	// ErrFull: the queue is at capacity under the Reject policy.
	ErrFull = errors.New("admission: queue full")
	// ErrNoVictim: the queue is at capacity under the DropLRU policy and no
	// waiting task of equal or lower priority can be evicted.
	ErrNoVictim = errors.New("admission: queue full and nothing of equal or lower priority to evict")
	// ErrExists: a task with the same id is already waiting.
	ErrExists = errors.New("admission: id already queued")
)

// Entry is one waiting task as the queue sees it.
type Entry[T any] struct {
	ID         string
	Priority   Priority
	Value      T
	EnqueuedAt time.Time // from the queue's clock at Push
}

// node is an element of one priority's doubly linked FIFO list.
type node[T any] struct {
	entry      Entry[T]
	prev, next *node[T]
}

// fifo is a doubly linked list, oldest at head.
type fifo[T any] struct {
	head, tail *node[T]
	n          int
}

func (l *fifo[T]) pushBack(n *node[T]) {
	n.prev, n.next = l.tail, nil
	if l.tail == nil {
		l.head = n
	} else {
		l.tail.next = n
	}
	l.tail = n
	l.n++
}

func (l *fifo[T]) unlink(n *node[T]) {
	if n.prev == nil {
		l.head = n.next
	} else {
		n.prev.next = n.next
	}
	if n.next == nil {
		l.tail = n.prev
	} else {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
	l.n--
}

// maxMapHint bounds the map size reserved up front for very large capacities.
const maxMapHint = 4096

// Queue is a bounded two-priority FIFO of tasks keyed by id. Dispatch order
// is every interactive task oldest first, then every batch task oldest first.
// The capacity counts waiting tasks only: a task leaves the queue (Take) when
// it starts running.
//
// Push, Take, Remove and Get are O(1); Position is O(position).
//
// A Queue is NOT safe for concurrent use: the caller serializes every call.
type Queue[T any] struct {
	capacity int
	policy   Policy
	now      func() time.Time

	lists [numPriorities]fifo[T]
	byID  map[string]*node[T]

	// free is a singly linked (via next) list of recycled nodes, so a steady
	// Push/Take cycle does not allocate.
	free  *node[T]
	nfree int

	drain drainMeter
}

// Option configures a Queue.
type Option func(*config)

type config struct {
	now    func() time.Time
	window time.Duration
}

// WithClock sets the clock used for EnqueuedAt and the drain-rate estimate
// (default time.Now). A nil clock is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithDrainWindow sets the smoothing window of the drain-rate estimate
// (default DefaultDrainWindow): departures are weighted by age with time
// constant d/3, so 95% of a change of departure rate shows one window later.
// A non-positive d is ignored.
func WithDrainWindow(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.window = d
		}
	}
}

// New returns an empty queue holding at most capacity waiting tasks under
// the given overflow policy. A capacity of 0 refuses every task. It panics
// when capacity is negative or policy is undefined: both are programming
// errors (configuration is validated with ParsePolicy before this call).
func New[T any](capacity int, policy Policy, opts ...Option) *Queue[T] {
	if capacity < 0 {
		panic("admission: negative queue capacity")
	}
	if !policy.Valid() {
		panic("admission: undefined policy " + policy.String())
	}
	cfg := config{now: time.Now, window: DefaultDrainWindow}
	for _, o := range opts {
		o(&cfg)
	}
	return &Queue[T]{
		capacity: capacity,
		policy:   policy,
		now:      cfg.now,
		byID:     make(map[string]*node[T], min(capacity, maxMapHint)),
		drain:    newDrainMeter(cfg.window),
	}
}

// Push appends a task to the tail of its priority's FIFO.
//
// When the queue is full, the Reject policy returns ErrFull; the DropLRU
// policy evicts the least recently enqueued task of equal or lower priority,
// batch first (an interactive push evicts the oldest batch task if any, else
// the oldest interactive task; a batch push evicts the oldest batch task),
// returns it as victim with evicted == true, and returns ErrNoVictim when
// there is nothing to evict. An eviction does not count toward the drain
// rate. A task whose id is already waiting is refused with ErrExists, and an
// undefined priority with ErrUnknownPriority; in every error case the queue
// is unchanged.
func (q *Queue[T]) Push(id string, p Priority, v T) (victim Entry[T], evicted bool, err error) {
	if !p.Valid() {
		return victim, false, ErrUnknownPriority
	}
	if _, dup := q.byID[id]; dup {
		return victim, false, ErrExists
	}
	if q.Len() >= q.capacity {
		if q.policy == Reject {
			return victim, false, ErrFull
		}
		v := q.lists[Batch].head
		if v == nil && p == Interactive {
			v = q.lists[Interactive].head
		}
		if v == nil {
			return victim, false, ErrNoVictim
		}
		victim, evicted = q.release(v), true
	}
	n := q.alloc()
	n.entry = Entry[T]{ID: id, Priority: p, Value: v, EnqueuedAt: q.now()}
	q.lists[p].pushBack(n)
	q.byID[id] = n
	return victim, evicted, nil
}

// Take removes the task because it leaves the queue to run; it counts toward
// the drain rate. It reports false (and changes nothing) when id is not
// waiting.
func (q *Queue[T]) Take(id string) (Entry[T], bool) {
	n, ok := q.byID[id]
	if !ok {
		return Entry[T]{}, false
	}
	e := q.release(n)
	q.drain.observe(q.now())
	return e, true
}

// Remove removes the task because it was canceled, expired or failed while
// waiting; it does not count toward the drain rate. It reports false when id
// is not waiting.
func (q *Queue[T]) Remove(id string) (Entry[T], bool) {
	n, ok := q.byID[id]
	if !ok {
		return Entry[T]{}, false
	}
	return q.release(n), true
}

// Get returns the waiting task with the given id.
func (q *Queue[T]) Get(id string) (Entry[T], bool) {
	n, ok := q.byID[id]
	if !ok {
		return Entry[T]{}, false
	}
	return n.entry, true
}

// Position returns the 0-based place of the task in dispatch order (0 = next
// to dispatch). It is O(position).
func (q *Queue[T]) Position(id string) (int, bool) {
	n, ok := q.byID[id]
	if !ok {
		return 0, false
	}
	pos := 0
	for x := n.prev; x != nil; x = x.prev {
		pos++
	}
	for p := Interactive; p < n.entry.Priority; p++ {
		pos += q.lists[p].n
	}
	return pos, true
}

// Scan calls fn for each waiting task in dispatch order (interactive oldest
// first, then batch oldest first) with its 0-based position, until fn
// returns false. fn must not call methods of q that modify it.
func (q *Queue[T]) Scan(fn func(pos int, e Entry[T]) bool) {
	pos := 0
	for p := range q.lists {
		for n := q.lists[p].head; n != nil; n = n.next {
			if !fn(pos, n.entry) {
				return
			}
			pos++
		}
	}
}

// Len returns the number of waiting tasks.
func (q *Queue[T]) Len() int { return len(q.byID) }

// LenPriority returns the number of waiting tasks of priority p (0 for an
// undefined priority).
func (q *Queue[T]) LenPriority(p Priority) int {
	if !p.Valid() {
		return 0
	}
	return q.lists[p].n
}

// Capacity returns the maximum number of waiting tasks.
func (q *Queue[T]) Capacity() int { return q.capacity }

// Policy returns the overflow policy.
func (q *Queue[T]) Policy() Policy { return q.policy }

// release unlinks n, forgets its id, recycles the node and returns its entry.
func (q *Queue[T]) release(n *node[T]) Entry[T] {
	e := n.entry
	q.lists[e.Priority].unlink(n)
	delete(q.byID, e.ID)
	n.entry = Entry[T]{} // drop references held by the value
	if q.nfree < q.capacity {
		n.next = q.free
		q.free = n
		q.nfree++
	}
	return e
}

// alloc returns a recycled node or a new one.
func (q *Queue[T]) alloc() *node[T] {
	n := q.free
	if n == nil {
		return new(node[T])
	}
	q.free = n.next
	n.next = nil
	q.nfree--
	return n
}
