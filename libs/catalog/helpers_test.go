package catalog_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

const startMs = 1_700_000_000_000

// fakeClock is a manual clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.UnixMilli(startMs)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Ms() int64 { return c.Now().UnixMilli() }

// digestOf is the Entry.Digest of content.
func digestOf(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// otherDigest is a valid digest that matches none of the test files.
const otherDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// entry is a valid entry with only the required fields.
func entry(id string) catalog.Entry {
	return catalog.Entry{ID: id, Digest: otherDigest}
}

// writeModel writes content to dir/name and returns its file:// URL.
func writeModel(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	is.New(t).NoErr(os.MkdirAll(filepath.Dir(p), 0o755)) // model directory
	is.New(t).NoErr(os.WriteFile(p, content, 0o644))     // model file
	return "file://" + filepath.ToSlash(p)
}

// fileEntry is a valid entry whose source is a new file with content; the
// digest is the file's when match is true and otherDigest otherwise.
func fileEntry(t *testing.T, id string, content []byte, match bool) catalog.Entry {
	t.Helper()
	e := entry(id)
	e.SourceURL = writeModel(t, t.TempDir(), "model.gguf", content)
	if match {
		e.Digest = digestOf(content)
	}
	return e
}

func newCatalog(clock *fakeClock, opts ...catalog.Option) *catalog.Catalog {
	return catalog.New(catalog.NewMemStore(), append([]catalog.Option{catalog.WithClock(clock.Now)}, opts...)...)
}

// hookStore wraps a Store; the hook armed last runs once, after the next Get.
type hookStore struct {
	catalog.Store
	mu   sync.Mutex
	hook func()
}

func (s *hookStore) arm(hook func()) {
	s.mu.Lock()
	s.hook = hook
	s.mu.Unlock()
}

func (s *hookStore) Get(ctx context.Context, id string) (catalog.Entry, error) {
	e, err := s.Store.Get(ctx, id)
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return e, err
}

// failStore is a Store whose every call fails with err.
type failStore struct{ err error }

func (s failStore) Get(context.Context, string) (catalog.Entry, error) { return catalog.Entry{}, s.err }
func (s failStore) Put(context.Context, catalog.Entry) error           { return s.err }
func (s failStore) Delete(context.Context, string) error               { return s.err }
func (s failStore) List(context.Context) ([]catalog.Entry, error)      { return nil, s.err }

// statesOf derives the States map from a list of entries.
func statesOf(entries []catalog.Entry) map[string]catalog.State {
	out := make(map[string]catalog.State, len(entries))
	for _, e := range entries {
		out[e.ID] = e.State
	}
	return out
}
