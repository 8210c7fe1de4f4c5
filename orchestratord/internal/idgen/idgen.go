// Package idgen makes the server's ULIDs: monotonic within a millisecond and
// safe for concurrent use. Each daemon owns one Generator.
package idgen

import (
	"crypto/rand"
	"io"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Generator makes ULIDs from an injected clock and entropy source.
type Generator struct {
	mu      sync.Mutex
	now     func() time.Time
	entropy io.Reader
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
	id, err := ulid.New(ulid.Timestamp(g.now()), g.entropy)
	g.mu.Unlock()
	if err != nil {
		// The monotonic reader only fails when the random component would
		// overflow within one millisecond; a fresh entropy draw fixes that.
		return ulid.Make().String()
	}
	return id.String()
}
