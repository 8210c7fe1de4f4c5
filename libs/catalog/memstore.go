package catalog

import (
	"context"
	"fmt"
	"sync"
)

// MemStore is a Store in memory, for tests and runs without a data dir. It
// is safe for concurrent use and copies entries in and out.
type MemStore struct {
	mu      sync.RWMutex
	entries map[string]Entry
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{entries: make(map[string]Entry)}
}

// Get implements Store.
func (s *MemStore) Get(ctx context.Context, id string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.entries[id]
	if !ok {
		return Entry{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return e.Clone(), nil
}

// Put implements Store.
func (s *MemStore) Put(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e = e.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[e.ID] = e
	return nil
}

// Delete implements Store.
func (s *MemStore) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[id]; !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	delete(s.entries, id)
	return nil
}

// List implements Store.
func (s *MemStore) List(ctx context.Context) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.Clone())
	}
	return out, nil
}
