package sessions_test

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a fake clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const ttl = 10 * time.Minute

// newStore returns a store with the fake clock and the given budgets.
func newStore(t *testing.T, c *clock, limits sessions.Budgets, opts ...sessions.Option) *sessions.Store {
	t.Helper()
	s, err := sessions.New(ttl, limits, append([]sessions.Option{sessions.WithClock(c.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
