// Package problem is the daemon's error taxonomy: one typed error that
// carries the contract's error code (api.md §2) and what the envelope needs.
// Services return *Error for rejections a client must see; the HTTP layer
// maps it, and library sentinels, to the envelope in one place.
package problem

import (
	"errors"
	"fmt"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Error is a client-visible failure.
type Error struct {
	Code    wire.ErrorCode
	Message string
	Field   string // INVALID_PARAMS: the offending field
	Engine  string
	// 429 only: which policy refused and how long to wait.
	Policy     wire.PolicyLabel
	RetryAfter time.Duration
	Retriable  bool
	// Budget: BUDGET_EXHAUSTED only, the session's budgets left, sent as
	// the X-Budget-* headers.
	Budget *wire.Budget
	Err    error // cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the error's code.
func (e *Error) Status() int { return e.Code.HTTPStatus() }

// Invalid reports a bad field: 400 INVALID_PARAMS naming it.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: wire.CodeInvalidParams, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// New makes an error with a code and a human message.
func New(code wire.ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Rejected makes a 429 with the policy label and a measured backoff.
func Rejected(code wire.ErrorCode, policy wire.PolicyLabel, backoff time.Duration, format string, args ...any) *Error {
	return &Error{Code: code, Policy: policy, RetryAfter: backoff, Retriable: true, Message: fmt.Sprintf(format, args...)}
}

// As extracts a *Error from err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}
