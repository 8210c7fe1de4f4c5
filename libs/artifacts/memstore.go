package artifacts

import (
	"context"
	"fmt"
	"sync"
)

// MemStore is a Store in memory, for tests and for runs without a data dir.
// It is safe for concurrent use.
type MemStore struct {
	opts options
	mu   sync.RWMutex
	docs map[string]Artifact
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty in-memory store.
func NewMemStore(opts ...Option) *MemStore {
	return &MemStore{opts: newOptions(opts), docs: make(map[string]Artifact)}
}

// Put implements Store.
func (s *MemStore) Put(ctx context.Context, a Artifact) (Artifact, bool, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, false, err
	}
	doc, _, err := s.opts.prepare(a)
	if err != nil {
		return Artifact{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored, ok := s.docs[doc.ID]; ok {
		return clone(stored), false, nil
	}
	s.docs[doc.ID] = doc // prepare built doc from fresh copies
	return clone(doc), true, nil
}

// Get implements Store.
func (s *MemStore) Get(ctx context.Context, id string) (Artifact, error) {
	if !ValidID(id) {
		return Artifact{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	doc, ok := s.docs[id]
	if !ok {
		return Artifact{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return clone(doc), nil
}
