// Package idgen makes the server's ULIDs: monotonic within a millisecond and
// safe for concurrent use. Each daemon owns one Generator.
package idgen

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Generator makes ULIDs from an injected clock and entropy source.
type Generator struct {
	mu      sync.Mutex
	now     func() time.Time
	entropy *ulid.MonotonicEntropy
	// id is where the next ULID is assembled, guarded by mu: a local
	// would escape to the heap through the entropy reader, one allocation
	// per id.
	id ulid.ULID
}

// New returns a Generator using now (time.Now when nil) and crypto/rand.
func New(now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	return &Generator{now: now, entropy: ulid.Monotonic(rand.Reader, 0)}
}

// Next returns a fresh ULID string.
func (g *Generator) Next() string {
	g.mu.Lock()
	ms := ulid.Timestamp(g.now())
	err := g.id.SetTime(ms)
	if err == nil {
		err = g.entropy.MonotonicRead(ms, g.id[6:])
	}
	if err == nil {
		s := g.id.String()
		g.mu.Unlock()
		return s
	}
	g.mu.Unlock()
	// The monotonic reader only fails when the random component would
	// overflow within one millisecond (or the clock is past the ULID
	// range); a fresh entropy draw fixes that.
	return ulid.Make().String()
}
