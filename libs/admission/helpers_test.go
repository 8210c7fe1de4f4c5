package admission_test

import (
	"errors"
	"strconv"
	"time"
)

// fakeClock is a manually advanced clock.
type fakeClock struct{ t time.Time }

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// isErr reports whether err matches target with errors.Is.
func isErr(err, target error) bool { return errors.Is(err, target) }

// ids returns n distinct task ids with the given prefix.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// recovered runs fn and returns what it panicked with (nil when it did not).
func recovered(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}
