package catalog

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Catalog returns for one of these conditions
// matches the sentinel with errors.Is; the daemon maps them to api.md codes.
var (
	// ErrNotFound: no entry has the id (NOT_FOUND, 404).
	ErrNotFound = errors.New("catalog: model not found")
	// ErrExists: an entry with the id already exists (CONFLICT, 409).
	ErrExists = errors.New("catalog: model already exists")
	// ErrInvalid: an argument is malformed; the error is a *ValidationError
	// naming the field (INVALID_PARAMS, 400).
	ErrInvalid = errors.New("catalog: invalid")
	// ErrRetired: the model is Retired and admits no new tasks
	// (POOL_UNAVAILABLE, 503, with a message that says retired).
	ErrRetired = errors.New("catalog: model retired")
	// ErrUntrusted: strict trust was asked for, by the request or by the
	// entry's trust policy, and the model has no verified digest
	// (UNTRUSTED_ARTIFACT, 400).
	ErrUntrusted = errors.New("catalog: model not verified")
	// ErrConflict: the entry was deleted and created again while Verify was
	// hashing its source, so the result was not recorded (CONFLICT, 409).
	ErrConflict = errors.New("catalog: model changed during verification")
)

// ValidationError names the field that failed validation. It matches
// ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // JSON-style path, e.g. "id" or "manifests[2].digest"
	Reason string // reads after the field name, e.g. "required"
}

// Message is the human-readable text for an API error body: the field name
// followed by the reason, e.g. "id required". It holds no internals.
func (e *ValidationError) Message() string { return e.Field + " " + e.Reason }

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%v: %s", ErrInvalid, e.Message())
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason}
}
