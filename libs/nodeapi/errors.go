package nodeapi

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownNode: no node is registered under the id.
	ErrUnknownNode = errors.New("nodeapi: unknown node")
	// ErrUnknownPool: no pool is registered under the id.
	ErrUnknownPool = errors.New("nodeapi: unknown pool")
	// ErrInvalid: a registration or report is malformed; the error is a
	// *ValidationError naming the field.
	ErrInvalid = errors.New("nodeapi: invalid")
	// ErrPoolConflict: a pool id is already owned by another node; the error is
	// a *PoolConflictError.
	ErrPoolConflict = errors.New("nodeapi: pool id owned by another node")
)

// ValidationError names the field that failed validation. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // JSON-style path, e.g. "pools[1].slots_total"
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%v: %s: %s", ErrInvalid, e.Field, e.Reason)
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// PoolConflictError names the pool and the node that owns it. It matches
// ErrPoolConflict with errors.Is.
type PoolConflictError struct {
	PoolID string
	Owner  string
}

func (e *PoolConflictError) Error() string {
	return fmt.Sprintf("%v: pool %q is owned by node %q", ErrPoolConflict, e.PoolID, e.Owner)
}

// Unwrap returns ErrPoolConflict.
func (e *PoolConflictError) Unwrap() error { return ErrPoolConflict }
