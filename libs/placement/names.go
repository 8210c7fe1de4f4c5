package placement

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrUnknownMode is returned for a placement mode name that is not "auto",
// "pin" or "prefer".
var ErrUnknownMode = errors.New("placement: unknown mode")

// ErrUnknownStrategy is returned for a strategy name that is not
// "least-loaded", "round-robin" or "random".
var ErrUnknownStrategy = errors.New("placement: unknown strategy")

// Mode is the request's placement mode.
type Mode uint8

// The placement modes.
const (
	// Auto lets affinity and the strategy choose among every eligible pool.
	Auto Mode = iota
	// Pin runs the task on Request.PinPool only.
	Pin
	// Prefer tries the pools of Request.Prefer in order first.
	Prefer
)

// String returns "auto", "pin" or "prefer" (or "Mode(n)" when undefined).
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Pin:
		return "pin"
	case Prefer:
		return "prefer"
	default:
		return "Mode(" + strconv.Itoa(int(m)) + ")"
	}
}

// Valid reports whether m is a defined mode.
func (m Mode) Valid() bool { return m <= Prefer }

// ParseMode parses "auto", "pin" or "prefer" (exact, lower case).
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto":
		return Auto, nil
	case "pin":
		return Pin, nil
	case "prefer":
		return Prefer, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrUnknownMode, s)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownMode, m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Strategy chooses among the pools left after filtering, pin/prefer and
// affinity.
type Strategy uint8

// The strategies.
const (
	// LeastLoaded picks the pool with the most free slots, then the lowest
	// queue depth, then the lowest known latency, then the lowest pool ID.
	LeastLoaded Strategy = iota
	// RoundRobin cycles over the eligible pools in pool ID order.
	RoundRobin
	// Random picks uniformly among the eligible pools.
	Random
)

// String returns "least-loaded", "round-robin" or "random" (or
// "Strategy(n)" when undefined).
func (s Strategy) String() string {
	switch s {
	case LeastLoaded:
		return "least-loaded"
	case RoundRobin:
		return "round-robin"
	case Random:
		return "random"
	default:
		return "Strategy(" + strconv.Itoa(int(s)) + ")"
	}
}

// Valid reports whether s is a defined strategy.
func (s Strategy) Valid() bool { return s <= Random }

// ParseStrategy parses "least-loaded", "round-robin" or "random" (exact,
// lower case).
func ParseStrategy(s string) (Strategy, error) {
	switch s {
	case "least-loaded":
		return LeastLoaded, nil
	case "round-robin":
		return RoundRobin, nil
	case "random":
		return Random, nil
	default:
		return 0, fmt.Errorf("%w: %q", ErrUnknownStrategy, s)
	}
}

// MarshalText implements encoding.TextMarshaler.
func (s Strategy) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("%w: %d", ErrUnknownStrategy, s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := ParseStrategy(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
