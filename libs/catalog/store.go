package catalog

import "context"

// Store is the persistence port of the catalog. The Catalog keeps an index
// of every entry's state in memory and must be the only writer of its Store.
// Implementations must be safe for concurrent use and must not retain or
// share memory with the entries they are given or return. The catalogtest
// package holds the contract suite every adapter must pass.
type Store interface {
	// Get returns the entry with the id, or an error matching ErrNotFound.
	Get(ctx context.Context, id string) (Entry, error)
	// Put creates the entry or replaces the one with the same id.
	Put(ctx context.Context, e Entry) error
	// Delete removes the entry, or returns an error matching ErrNotFound.
	Delete(ctx context.Context, id string) error
	// List returns every entry, in any order.
	List(ctx context.Context) ([]Entry, error)
}
