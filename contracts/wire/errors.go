package wire

import (
	"net/http"
	"strconv"
)

// ErrorCode is the machine-readable code of an error envelope or an SSE
// error frame (api.md §2 "Error codes and statuses").
type ErrorCode string

// Error codes of the HTTP error envelope and of in-stream error frames.
const (
	CodeInvalidParams     ErrorCode = "INVALID_PARAMS"
	CodeDeadlineUnmet     ErrorCode = "DEADLINE_UNMET"
	CodeUntrustedArtifact ErrorCode = "UNTRUSTED_ARTIFACT"
	CodeUnauthorized      ErrorCode = "UNAUTHORIZED"
	CodeForbidden         ErrorCode = "FORBIDDEN"
	CodeNotFound          ErrorCode = "NOT_FOUND"
	CodeConflict          ErrorCode = "CONFLICT"
	CodePayloadTooLarge   ErrorCode = "PAYLOAD_TOO_LARGE"
	CodeAdmissionReject   ErrorCode = "ADMISSION_REJECT"
	CodeQueueFullDropLRU  ErrorCode = "QUEUE_FULL_DROP_LRU"
	CodeBudgetExhausted   ErrorCode = "BUDGET_EXHAUSTED"
	CodePoolUnavailable   ErrorCode = "POOL_UNAVAILABLE"
	CodeInternal          ErrorCode = "INTERNAL"
	CodeDecodeTimeout     ErrorCode = "DECODE_TIMEOUT"
	CodeWorkerReset       ErrorCode = "WORKER_RESET"
	CodeEngineError       ErrorCode = "ENGINE_ERROR"
)

// ErrorCodes returns every error code, in the order of api.md.
func ErrorCodes() []ErrorCode {
	return []ErrorCode{
		CodeInvalidParams, CodeDeadlineUnmet, CodeUntrustedArtifact, CodeUnauthorized,
		CodeForbidden, CodeNotFound, CodeConflict, CodePayloadTooLarge,
		CodeAdmissionReject, CodeQueueFullDropLRU, CodeBudgetExhausted,
		CodePoolUnavailable, CodeInternal, CodeDecodeTimeout, CodeWorkerReset,
		CodeEngineError,
	}
}

// Valid reports whether c is one of the codes of the contract.
func (c ErrorCode) Valid() bool {
	switch c {
	case CodeInvalidParams, CodeDeadlineUnmet, CodeUntrustedArtifact, CodeUnauthorized,
		CodeForbidden, CodeNotFound, CodeConflict, CodePayloadTooLarge,
		CodeAdmissionReject, CodeQueueFullDropLRU, CodeBudgetExhausted,
		CodePoolUnavailable, CodeInternal, CodeDecodeTimeout, CodeWorkerReset,
		CodeEngineError:
		return true
	}
	return false
}

// HTTPStatus returns the status api.md assigns to c. Codes that api.md only
// uses in SSE error frames map to the gateway statuses an operator expects
// when one reaches an HTTP response anyway (a non-streaming /v1 request):
// ENGINE_ERROR and WORKER_RESET → 502, DECODE_TIMEOUT → 504. Unknown codes
// map to 500.
func (c ErrorCode) HTTPStatus() int {
	switch c {
	case CodeInvalidParams, CodeDeadlineUnmet, CodeUntrustedArtifact:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeAdmissionReject, CodeQueueFullDropLRU, CodeBudgetExhausted:
		return http.StatusTooManyRequests
	case CodePoolUnavailable:
		return http.StatusServiceUnavailable
	case CodeEngineError, CodeWorkerReset:
		return http.StatusBadGateway
	case CodeDecodeTimeout:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// InStream reports whether c may appear in an SSE error frame (api.md §2).
func (c ErrorCode) InStream() bool {
	switch c {
	case CodeDeadlineUnmet, CodePoolUnavailable, CodeDecodeTimeout, CodeWorkerReset,
		CodeQueueFullDropLRU, CodeEngineError, CodeInternal:
		return true
	}
	return false
}

// PolicyLabel names the policy behind a 429 (the envelope's policy_label).
type PolicyLabel string

// Policy labels of 429 responses.
const (
	PolicyReject  PolicyLabel = "reject"
	PolicyDropLRU PolicyLabel = "drop-lru"
	PolicyBudget  PolicyLabel = "budget"
)

// PolicyLabels returns every policy label.
func PolicyLabels() []PolicyLabel { return []PolicyLabel{PolicyReject, PolicyDropLRU, PolicyBudget} }

// Valid reports whether p is a policy label of the contract.
func (p PolicyLabel) Valid() bool {
	switch p {
	case PolicyReject, PolicyDropLRU, PolicyBudget:
		return true
	}
	return false
}

// ErrorEnvelope is the JSON body of every error response of the /v2 surface
// and of the operational routes. Code and Message are always sent; the other
// fields only when they apply. Every 429 carries Retriable=true,
// RetryAfterMs and PolicyLabel.
type ErrorEnvelope struct {
	Code         ErrorCode   `json:"code"`
	Message      string      `json:"message"`
	Engine       Engine      `json:"engine,omitempty"`
	Retriable    *bool       `json:"retriable,omitempty"`
	RetryAfterMs *int64      `json:"retry_after_ms,omitempty"`
	PolicyLabel  PolicyLabel `json:"policy_label,omitempty"`
}

// Error makes a decoded envelope usable as a Go error on the client side.
func (e *ErrorEnvelope) Error() string {
	if e.Engine != "" {
		return string(e.Code) + ": " + e.Message + " (engine " + string(e.Engine) + ")"
	}
	return string(e.Code) + ": " + e.Message
}

// HTTPStatus returns the status of the envelope's code.
func (e *ErrorEnvelope) HTTPStatus() int { return e.Code.HTTPStatus() }

// RetryAfterSeconds returns the value of the Retry-After header that goes with
// a backoff of ms milliseconds: whole seconds, rounded up, at least 1.
func RetryAfterSeconds(ms int64) string {
	s := (ms + 999) / 1000
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}
