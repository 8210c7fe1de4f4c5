package simengine

import (
	"context"
	"sync/atomic"
)

// slot is one parallel sequence of the simulated engine. Its counters are
// read by GET /slots while the generation updates them.
type slot struct {
	id         int
	processing atomic.Bool
	taskID     atomic.Int64
	nPrompt    atomic.Int64
	nDecoded   atomic.Int64
	nRemain    atomic.Int64
	hasNewLine atomic.Bool
}

// slotPool hands out free slots; a request waits for one like a deferred
// llama-server task.
type slotPool struct {
	all  []*slot
	free chan *slot
}

func newSlotPool(n int) *slotPool {
	p := &slotPool{all: make([]*slot, n), free: make(chan *slot, n)}
	for i := range p.all {
		p.all[i] = &slot{id: i}
		p.free <- p.all[i]
	}
	return p
}

// acquire waits for a free slot until ctx is done.
func (p *slotPool) acquire(ctx context.Context) (*slot, error) {
	select {
	case s := <-p.free:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *slotPool) release(s *slot) {
	s.processing.Store(false)
	p.free <- s
}
