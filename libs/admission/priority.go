package admission

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrUnknownPriority is returned for a priority name or value that is not
// one of the defined priorities.
var ErrUnknownPriority = errors.New("admission: unknown priority")

// ErrUnknownPolicy is returned for a policy name that is not "reject" or
// "drop-lru".
var ErrUnknownPolicy = errors.New("admission: unknown policy")

// Priority is a task's queue class. Lower values dispatch first.
type Priority uint8

// The priorities in dispatch order.
const (
	Interactive Priority = iota
	Batch
)

// numPriorities is the number of defined priorities.
const numPriorities = 2

// String returns "interactive" or "batch" (or "Priority(n)" when undefined).
func (p Priority) String() string {
	switch p {
	case Interactive:
		return "interactive"
	case Batch:
		return "batch"
	default:
		return "Priority(" + strconv.Itoa(int(p)) + ")"
	}
}

// Valid reports whether p is a defined priority.
func (p Priority) Valid() bool { return p < numPriorities }

// ParsePriority parses "interactive" or "batch" (exact, lower case).
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "interactive":
		return Interactive, nil
	case "batch":
		return Batch, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrUnknownPriority, s)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (p Priority) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownPriority, p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Policy decides what happens when a task arrives at a full queue.
type Policy uint8

// The overflow policies.
const (
	// Reject refuses the arriving task with ErrFull.
	Reject Policy = iota
	// DropLRU evicts the oldest waiting task of equal or lower priority,
	// batch first, or refuses with ErrNoVictim when there is none.
	DropLRU
)

// String returns "reject" or "drop-lru" (or "Policy(n)" when undefined).
func (p Policy) String() string {
	switch p {
	case Reject:
		return "reject"
	case DropLRU:
		return "drop-lru"
	default:
		return "Policy(" + strconv.Itoa(int(p)) + ")"
	}
}

// Valid reports whether p is a defined policy.
func (p Policy) Valid() bool { return p <= DropLRU }

// ParsePolicy parses "reject" or "drop-lru" (exact, lower case).
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "reject":
		return Reject, nil
	case "drop-lru":
		return DropLRU, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrUnknownPolicy, s)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (p Policy) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownPolicy, p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Policy) UnmarshalText(b []byte) error {
	v, err := ParsePolicy(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
