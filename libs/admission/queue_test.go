package admission_test

import (
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/admission"
)

// item is a task to push: id and priority.
type item struct {
	id string
	p  admission.Priority
}

const (
	in = admission.Interactive
	bt = admission.Batch
)

// fill pushes items in order into a queue and reports the first error.
func fill(q *admission.Queue[string], items []item) error {
	for _, it := range items {
		if _, _, err := q.Push(it.id, it.p, "v-"+it.id); err != nil {
			return err
		}
	}
	return nil
}

// order lists the queue's ids in dispatch order.
func order(q *admission.Queue[string]) []string {
	out := []string{}
	q.Scan(func(_ int, e admission.Entry[string]) bool {
		out = append(out, e.ID)
		return true
	})
	return out
}

func TestDispatchOrder(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name  string
		items []item
		want  []string
	}{
		{"empty", nil, []string{}},
		{"fifo interactive", []item{{"a", in}, {"b", in}, {"c", in}}, []string{"a", "b", "c"}},
		{"fifo batch", []item{{"a", bt}, {"b", bt}, {"c", bt}}, []string{"a", "b", "c"}},
		{"interactive before batch", []item{{"b1", bt}, {"i1", in}, {"b2", bt}, {"i2", in}}, []string{"i1", "i2", "b1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](8, admission.Reject)
			is.NoErr(fill(q, tt.items))     // everything fits
			is.Equal(order(q), tt.want)     // dispatch order
			is.Equal(q.Len(), len(tt.want)) // Len counts every waiting task
		})
	}
	q := admission.New[string](8, admission.Reject)
	is.NoErr(fill(q, []item{{"b1", bt}, {"i1", in}, {"b2", bt}})) // the setup fits
	is.Equal(q.LenPriority(in), 1)                                // one interactive
	is.Equal(q.LenPriority(bt), 2)                                // two batch
	is.Equal(q.LenPriority(admission.Priority(5)), 0)             // undefined priority holds nothing
}

func TestEntryFields(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	q := admission.New[string](4, admission.Reject, admission.WithClock(clk.now))
	_, evicted, err := q.Push("a", bt, "payload")
	is.NoErr(err)     // push succeeds
	is.True(!evicted) // nothing evicted below capacity
	e, ok := q.Get("a")
	is.True(ok)                                                                                          // the task is waiting
	is.Equal(e, admission.Entry[string]{ID: "a", Priority: bt, Value: "payload", EnqueuedAt: clk.now()}) // entry as pushed, stamped by the clock
	_, ok = q.Get("missing")
	is.True(!ok)                           // unknown ids are not found
	is.Equal(q.Capacity(), 4)              // capacity as configured
	is.Equal(q.Policy(), admission.Reject) // policy as configured
}

func TestCapacityCountsWaitingOnly(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](3, admission.Reject)
	is.NoErr(fill(q, []item{{"a", in}, {"b", in}, {"c", bt}})) // the setup fits
	_, _, err := q.Push("d", in, "")
	is.True(isErr(err, admission.ErrFull)) // full: three waiting
	_, ok := q.Take("a")
	is.True(ok) // a leaves to run
	_, _, err = q.Push("d", in, "")
	is.NoErr(err) // a running task holds no queue place
	_, ok = q.Remove("c")
	is.True(ok) // c canceled
	_, _, err = q.Push("e", bt, "")
	is.NoErr(err) // a removed task frees its place
	_, _, err = q.Push("f", bt, "")
	is.True(isErr(err, admission.ErrFull))      // full again
	is.Equal(order(q), []string{"b", "d", "e"}) // refused pushes changed nothing
}

func TestRejectPolicyNeverEvicts(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		push admission.Priority
	}{
		{"interactive arrival", in},
		{"batch arrival", bt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](2, admission.Reject)
			is.NoErr(fill(q, []item{{"i", in}, {"b", bt}})) // the setup fits
			victim, evicted, err := q.Push("new", tt.push, "")
			is.True(isErr(err, admission.ErrFull))      // reject refuses at capacity
			is.True(!evicted)                           // nothing evicted
			is.Equal(victim, admission.Entry[string]{}) // zero victim
			is.Equal(order(q), []string{"i", "b"})      // queue unchanged
		})
	}
}

func TestDropLRUVictimMatrix(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name       string
		queued     []item
		push       admission.Priority
		wantVictim string
		wantValue  string
		wantErr    error
		wantOrder  []string
	}{
		{"interactive evicts oldest batch", []item{{"i1", in}, {"b1", bt}, {"b2", bt}}, in, "b1", "v-b1", nil, []string{"i1", "new", "b2"}},
		{"interactive evicts batch even if newer than interactive", []item{{"b1", bt}, {"i1", in}, {"i2", in}}, in, "b1", "v-b1", nil, []string{"i1", "i2", "new"}},
		{"interactive evicts oldest interactive without batch", []item{{"i1", in}, {"i2", in}, {"i3", in}}, in, "i1", "v-i1", nil, []string{"i2", "i3", "new"}},
		{"batch evicts oldest batch", []item{{"i1", in}, {"b1", bt}, {"b2", bt}}, bt, "b1", "v-b1", nil, []string{"i1", "b2", "new"}},
		{"batch evicts batch only", []item{{"b1", bt}, {"b2", bt}, {"b3", bt}}, bt, "b1", "v-b1", nil, []string{"b2", "b3", "new"}},
		{"batch cannot evict interactive", []item{{"i1", in}, {"i2", in}, {"i3", in}}, bt, "", "", admission.ErrNoVictim, []string{"i1", "i2", "i3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](3, admission.DropLRU)
			is.NoErr(fill(q, tt.queued)) // the setup fits
			victim, evicted, err := q.Push("new", tt.push, "v-new")
			is.True(isErr(err, tt.wantErr))        // error as expected (nil when a victim exists)
			is.Equal(victim.ID, tt.wantVictim)     // the victim's id
			is.Equal(evicted, tt.wantVictim != "") // evicted reports the eviction
			is.Equal(victim.Value, tt.wantValue)   // the victim carries its value
			is.Equal(order(q), tt.wantOrder)       // resulting dispatch order
			is.Equal(q.Len(), 3)                   // still at capacity
		})
	}
}

func TestDropLRUBelowCapacityDoesNotEvict(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](3, admission.DropLRU)
	is.NoErr(fill(q, []item{{"b1", bt}})) // the setup fits
	victim, evicted, err := q.Push("i1", in, "")
	is.NoErr(err)                               // room left
	is.True(!evicted)                           // no eviction below capacity
	is.Equal(victim, admission.Entry[string]{}) // zero victim
	is.Equal(order(q), []string{"i1", "b1"})    // both waiting
}

func TestEvictionFreesTheVictimID(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](1, admission.DropLRU)
	is.NoErr(fill(q, []item{{"b1", bt}})) // the setup fits
	_, evicted, err := q.Push("b2", bt, "")
	is.NoErr(err)    // b1 evicted
	is.True(evicted) // eviction reported
	_, ok := q.Get("b1")
	is.True(!ok) // the victim is gone
	_, ok = q.Take("b1")
	is.True(!ok) // and cannot be taken
	_, evicted, err = q.Push("b1", bt, "")
	is.NoErr(err)                // its id can be queued again
	is.True(evicted)             // evicting b2 in turn
	is.Equal(q.DrainRate(), 0.0) // evictions are not departures
}

func TestErrExists(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		policy admission.Policy
		cap    int
		again  admission.Priority
	}{
		{"reject room left", admission.Reject, 4, in},
		{"reject full", admission.Reject, 2, in},
		{"drop-lru full", admission.DropLRU, 2, in},
		{"same id other priority", admission.Reject, 4, bt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](tt.cap, tt.policy)
			is.NoErr(fill(q, []item{{"a", in}, {"b", bt}})) // the setup fits
			_, evicted, err := q.Push("a", tt.again, "")
			is.True(isErr(err, admission.ErrExists)) // a waiting id is refused
			is.True(!evicted)                        // and nothing is evicted for it
			is.Equal(order(q), []string{"a", "b"})   // queue unchanged
		})
	}
}

func TestPushUndefinedPriority(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](2, admission.DropLRU)
	_, _, err := q.Push("a", admission.Priority(2), "")
	is.True(isErr(err, admission.ErrUnknownPriority)) // undefined priority refused
	is.Equal(q.Len(), 0)                              // nothing queued
}

func TestTakeRemovePosition(t *testing.T) {
	is := is.New(t)
	queued := []item{{"b1", bt}, {"i1", in}, {"b2", bt}, {"i2", in}, {"i3", in}}
	tests := []struct {
		name      string
		op        func(q *admission.Queue[string], id string) (admission.Entry[string], bool)
		id        string
		wantOK    bool
		wantID    string
		wantOrder []string
	}{
		{"take head", (*admission.Queue[string]).Take, "i1", true, "i1", []string{"i2", "i3", "b1", "b2"}},
		{"take middle", (*admission.Queue[string]).Take, "i2", true, "i2", []string{"i1", "i3", "b1", "b2"}},
		{"take batch tail", (*admission.Queue[string]).Take, "b2", true, "b2", []string{"i1", "i2", "i3", "b1"}},
		{"remove interactive tail", (*admission.Queue[string]).Remove, "i3", true, "i3", []string{"i1", "i2", "b1", "b2"}},
		{"remove batch head", (*admission.Queue[string]).Remove, "b1", true, "b1", []string{"i1", "i2", "i3", "b2"}},
		{"take unknown", (*admission.Queue[string]).Take, "zz", false, "", []string{"i1", "i2", "i3", "b1", "b2"}},
		{"remove unknown", (*admission.Queue[string]).Remove, "zz", false, "", []string{"i1", "i2", "i3", "b1", "b2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](8, admission.Reject)
			is.NoErr(fill(q, queued)) // the setup fits
			e, ok := tt.op(q, tt.id)
			is.Equal(ok, tt.wantOK)                       // found iff waiting
			is.Equal(e.ID, tt.wantID)                     // the removed entry is returned
			is.Equal(order(q), tt.wantOrder)              // the rest keeps its order
			is.Equal(positions(q), indexOf(tt.wantOrder)) // Position agrees with Scan
		})
	}
}

func TestPositionUnknown(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](2, admission.Reject)
	_, ok := q.Position("a")
	is.True(!ok) // unknown ids have no position
}

func TestScanStops(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](8, admission.Reject)
	is.NoErr(fill(q, []item{{"b1", bt}, {"i1", in}, {"b2", bt}, {"i2", in}})) // the setup fits
	seen := []string{}
	poss := []int{}
	q.Scan(func(pos int, e admission.Entry[string]) bool {
		seen = append(seen, e.ID)
		poss = append(poss, pos)
		return e.ID != "b1"
	})
	is.Equal(seen, []string{"i1", "i2", "b1"}) // stops after fn returns false
	is.Equal(poss, []int{0, 1, 2})             // positions are 0-based dispatch order
}

func TestCapacityZeroRefusesAll(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		policy admission.Policy
		want   error
	}{
		{"reject", admission.Reject, admission.ErrFull},
		{"drop-lru", admission.DropLRU, admission.ErrNoVictim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			q := admission.New[string](0, tt.policy)
			_, _, err := q.Push("a", in, "")
			is.True(isErr(err, tt.want)) // nothing fits
			is.Equal(q.Len(), 0)         // nothing queued
		})
	}
}

func TestNewPanicsOnProgrammingErrors(t *testing.T) {
	is := is.New(t)
	is.Equal(recovered(func() { admission.New[int](-1, admission.Reject) }), "admission: negative queue capacity")      // negative capacity
	is.Equal(recovered(func() { admission.New[int](1, admission.Policy(7)) }), "admission: undefined policy Policy(7)") // undefined policy
}

func TestOptionsIgnoreInvalidValues(t *testing.T) {
	is := is.New(t)
	clk := newFakeClock()
	q := admission.New[string](4, admission.Reject,
		admission.WithClock(clk.now), admission.WithClock(nil), admission.WithDrainWindow(-time.Second))
	is.NoErr(fill(q, []item{{"a", in}})) // the setup fits
	e, _ := q.Get("a")
	is.Equal(e.EnqueuedAt, clk.now()) // a nil clock does not replace the injected one
}

func TestRecycledNodesKeepEntriesApart(t *testing.T) {
	is := is.New(t)
	q := admission.New[string](2, admission.Reject)
	for _, id := range ids("t", 50) {
		_, _, err := q.Push(id, bt, "v-"+id)
		is.NoErr(err) // steady push/take never fills a queue of two
		e, ok := q.Take(id)
		is.True(ok)                // taken back at once
		is.Equal(e.Value, "v-"+id) // the value pushed with this id
	}
	is.NoErr(fill(q, []item{{"x", in}, {"y", bt}})) // the setup fits
	is.Equal(order(q), []string{"x", "y"})          // recycled nodes link correctly
}

// positions maps every waiting id to its Position.
func positions(q *admission.Queue[string]) map[string]int {
	out := map[string]int{}
	q.Scan(func(_ int, e admission.Entry[string]) bool {
		pos, _ := q.Position(e.ID)
		out[e.ID] = pos
		return true
	})
	return out
}

// indexOf maps each element of s to its index.
func indexOf(s []string) map[string]int {
	out := map[string]int{}
	for i, v := range s {
		out[v] = i
	}
	return out
}
