package sessions_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

// fakeBackend is a sessions.Backend in a map that records its commits. A
// commit can be held (hold) and made to fail (fail).
type fakeBackend struct {
	mu      sync.Mutex
	stored  map[string]sessions.Record
	corrupt []string // reported by Load with an error, then removed
	commits [][]sessions.Change
	fail    error
	hold    chan struct{} // when set, Commit waits for it to close
	entered chan struct{} // when set, Commit signals it before holding
}

func newFakeBackend() *fakeBackend { return &fakeBackend{stored: map[string]sessions.Record{}} }

func (f *fakeBackend) Commit(_ context.Context, changes []sessions.Change) error {
	f.mu.Lock()
	hold, entered := f.hold, f.entered
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commits = append(f.commits, append([]sessions.Change(nil), changes...))
	if f.fail != nil {
		return f.fail
	}
	for _, c := range changes {
		if c.Delete {
			delete(f.stored, c.Record.ID)
		} else {
			f.stored[c.Record.ID] = c.Record
		}
	}
	return nil
}

func (f *fakeBackend) Load(_ context.Context, fn func(sessions.Record, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.stored {
		fn(r, nil)
	}
	for _, id := range f.corrupt {
		fn(sessions.Record{ID: id}, errors.New("unreadable"))
	}
	f.corrupt = nil
	return nil
}

// get returns the stored record of id.
func (f *fakeBackend) get(id string) (sessions.Record, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.stored[id]
	return r, ok
}

// snapshot returns the stored records and the commits so far.
func (f *fakeBackend) snapshot() (map[string]sessions.Record, [][]sessions.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.stored), append([][]sessions.Change(nil), f.commits...)
}

// discardBackend commits nothing and counts the changes.
type discardBackend struct {
	mu      sync.Mutex
	changes int
}

func (d *discardBackend) Commit(_ context.Context, changes []sessions.Change) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.changes += len(changes)
	return nil
}

func (d *discardBackend) Load(context.Context, func(sessions.Record, error)) error { return nil }

// newJournal starts a journal that writes behind after an hour (so that
// only synchronous changes and Flush commit in a test) and closes it at the
// end of the test.
func newJournal(t *testing.T, b sessions.Backend, opts ...sessions.JournalOption) *sessions.Journal {
	t.Helper()
	j := sessions.NewJournal(b, append([]sessions.JournalOption{sessions.WithFlushDelay(time.Hour)}, opts...)...)
	t.Cleanup(func() { _ = j.Close(context.Background()) })
	return j
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
