package engine

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel causes carried in Error.Err; match them with errors.Is.
var (
	// ErrTokenTimeout: Request.TokenTimeout passed without a chunk.
	ErrTokenTimeout = errors.New("no chunk within the token timeout")
	// ErrTruncated: the stream ended without the engine's terminal event.
	ErrTruncated = errors.New("stream ended without its terminal event")
	// ErrMalformed: the engine sent bytes that are not its stream format.
	ErrMalformed = errors.New("malformed engine stream")
	// ErrEngineReported: the engine answered with an error object or status.
	ErrEngineReported = errors.New("engine reported an error")
	// ErrInvalidRequest: the request cannot be encoded (e.g. a NaN temperature).
	ErrInvalidRequest = errors.New("invalid engine request")
)

// ErrorKind sorts engine failures by what the caller may do about them.
type ErrorKind uint8

const (
	// KindUnavailable: connection refused or reset, a 5xx / 429 status, or an
	// engine still loading, BEFORE the first chunk. Safe to retry elsewhere.
	KindUnavailable ErrorKind = iota + 1
	// KindReset: the connection dropped, or the stream ended without its
	// terminal event, AFTER at least one chunk.
	KindReset
	// KindEngine: the engine reported an error (a 4xx status, an error object
	// in the stream) or sent a malformed stream; also a request that cannot
	// be encoded (ErrInvalidRequest).
	KindEngine
	// KindTimeout: Request.TokenTimeout passed without a chunk.
	KindTimeout
)

// String names the kind in lower case ("unavailable", "reset", ...).
func (k ErrorKind) String() string {
	switch k {
	case KindUnavailable:
		return "unavailable"
	case KindReset:
		return "reset"
	case KindEngine:
		return "engine"
	case KindTimeout:
		return "timeout"
	default:
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Error is a failed engine call.
type Error struct {
	Kind   ErrorKind
	Engine string // Client.Engine() of the adapter that failed
	// Status is the HTTP status of a non-2xx answer, or the numeric code of
	// an error object inside the stream; 0 when there was none.
	Status  int
	Message string // the engine's own error message, when it sent one
	Chunks  int    // chunks emitted before the failure
	Err     error  // the cause: a sentinel of this package or a network error
}

// Error formats the failure as "engine <name>: <kind>: status <n>: <message>: <cause>",
// leaving out the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("engine ")
	if e.Engine != "" {
		b.WriteString(e.Engine)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		b.WriteString(": status ")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
