package admission_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/admission"
)

// model is a plain slice version of the queue's rules: it keeps waiting ids
// in dispatch order.
type model struct {
	capacity int
	policy   admission.Policy
	items    []item
}

func (m *model) push(id string, p admission.Priority) (victim string, err error) {
	if slices.ContainsFunc(m.items, func(it item) bool { return it.id == id }) {
		return "", admission.ErrExists
	}
	if len(m.items) >= m.capacity {
		if m.policy == admission.Reject {
			return "", admission.ErrFull
		}
		v := slices.IndexFunc(m.items, func(it item) bool { return it.p == admission.Batch })
		if v < 0 && p == admission.Interactive {
			v = slices.IndexFunc(m.items, func(it item) bool { return it.p == admission.Interactive })
		}
		if v < 0 {
			return "", admission.ErrNoVictim
		}
		victim = m.items[v].id
		m.items = slices.Delete(m.items, v, v+1)
	}
	at := len(m.items)
	if p == admission.Interactive {
		at = len(m.items) - m.count(admission.Batch)
	}
	m.items = slices.Insert(m.items, at, item{id, p})
	return victim, nil
}

func (m *model) remove(id string) bool {
	i := slices.IndexFunc(m.items, func(it item) bool { return it.id == id })
	if i < 0 {
		return false
	}
	m.items = slices.Delete(m.items, i, i+1)
	return true
}

func (m *model) count(p admission.Priority) int {
	n := 0
	for _, it := range m.items {
		if it.p == p {
			n++
		}
	}
	return n
}

func (m *model) order() []string {
	out := []string{}
	for _, it := range m.items {
		out = append(out, it.id)
	}
	return out
}

// opResult is what one operation returned, from the queue or the model.
type opResult struct {
	Victim string
	Err    error
	Found  bool
	Pos    int
}

// replay runs the operations encoded in ops (two bytes each: operation and
// id) against a queue and the model and checks they agree after every step.
func replay(is *is.I, capacity int, policy admission.Policy, ops []byte) {
	q := admission.New[string](capacity, policy)
	m := &model{capacity: capacity, policy: policy}
	for k := 0; k+1 < len(ops); k += 2 {
		id := "t" + strconv.Itoa(int(ops[k+1]%12))
		var got, want opResult
		switch ops[k] % 5 {
		case 0, 1: // push interactive or batch
			p := admission.Priority(ops[k] % 2)
			victim, evicted, err := q.Push(id, p, id)
			got = opResult{Victim: victim.ID, Err: err, Found: evicted}
			want.Victim, want.Err = m.push(id, p)
			want.Found = want.Victim != ""
		case 2: // take
			e, ok := q.Take(id)
			got = opResult{Victim: e.ID, Found: ok}
			want = removed(m, id)
		case 3: // remove
			e, ok := q.Remove(id)
			got = opResult{Victim: e.ID, Found: ok}
			want = removed(m, id)
		case 4: // position
			pos, ok := q.Position(id)
			got = opResult{Found: ok, Pos: pos}
			want.Pos = slices.Index(m.order(), id)
			want.Found = want.Pos >= 0
			want.Pos = max(want.Pos, 0)
		}
		is.Equal(got, want)                                                // the operation agrees with the model
		is.Equal(order(q), m.order())                                      // dispatch order agrees
		is.Equal(q.LenPriority(admission.Batch), m.count(admission.Batch)) // batch count agrees
	}
}

// removed removes id from the model and returns what Take or Remove should.
func removed(m *model, id string) opResult {
	if !m.remove(id) {
		return opResult{}
	}
	return opResult{Victim: id, Found: true}
}

func TestQueueMatchesModel(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		cap    int
		policy admission.Policy
	}{
		{"reject cap 3", 3, admission.Reject},
		{"drop-lru cap 3", 3, admission.DropLRU},
		{"drop-lru cap 1", 1, admission.DropLRU},
		{"reject cap 16", 16, admission.Reject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rng := rand.New(rand.NewPCG(uint64(tt.cap), uint64(tt.policy)))
			ops := make([]byte, 4000)
			for i := range ops {
				ops[i] = byte(rng.UintN(256))
			}
			replay(is, tt.cap, tt.policy, ops)
		})
	}
	is.Equal(admission.New[string](2, admission.Reject).Len(), 0) // a new queue is empty
}

func FuzzQueueMatchesModel(f *testing.F) {
	f.Add(uint8(3), true, []byte{0, 1, 1, 2, 0, 3, 1, 4, 0, 5, 2, 1, 4, 3})
	f.Add(uint8(1), false, []byte{1, 1, 0, 2, 4, 2, 3, 2})
	f.Fuzz(func(t *testing.T, capacity uint8, dropLRU bool, ops []byte) {
		policy := map[bool]admission.Policy{false: admission.Reject, true: admission.DropLRU}[dropLRU]
		replay(is.New(t), int(capacity%8), policy, ops)
	})
}
