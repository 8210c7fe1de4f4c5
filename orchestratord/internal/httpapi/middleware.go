package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Log field names.
const (
	fieldCorrelation = correlation.Field
	fieldIdentity    = "identity"
	fieldRoute       = "route"
	fieldMethod      = "method"
	fieldStatus      = "status"
	fieldDurationMs  = "duration_ms"
	fieldTaskID      = "task_id"
)

const (
	headerCorrelation = "X-Correlation-Id"
	ctxCorrelation    = "orchd.correlation"
	ctxIdentity       = "orchd.identity"
	ctxTaskID         = "orchd.task_id" // the task a request submitted (/v2 or /v1)
)

// validCorrelation accepts a client's id: 1–128 printable ASCII characters.
func validCorrelation(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// correlate gives every request a correlation id (the client's when valid,
// else a fresh ULID), echoes it in the response, and attaches a logger that
// carries it, and the id itself for the services, to the request context.
func (s *Server) correlate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerCorrelation)
		if !validCorrelation(id) {
			id = s.deps.NewID()
		}
		c.Set(ctxCorrelation, id)
		c.Response().Header().Set(headerCorrelation, id)
		req := c.Request()
		c.SetRequest(req.WithContext(correlation.With(req.Context(), id)))
		return next(c)
	}
}

// withCorrelation adds the request's correlation id to a log event. The
// request's lines are written through the server's logger with the id added
// per line, rather than through a child logger made for every request: a
// disabled level then costs nothing.
func withCorrelation(ev *zerolog.Event, c echo.Context) *zerolog.Event {
	id, _ := c.Get(ctxCorrelation).(string)
	return ev.Str(fieldCorrelation, id)
}

// accessLog writes one line per request after it completes.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		ev := s.deps.Log.Info()
		if status >= 500 {
			ev = s.deps.Log.Error()
		}
		ev = withCorrelation(ev, c).Str(fieldMethod, c.Request().Method).Str(fieldRoute, c.Path()).Int(fieldStatus, status).
			Float64(fieldDurationMs, float64(time.Since(start).Microseconds())/1000)
		if fp, ok := c.Get(ctxIdentity).(string); ok {
			ev = ev.Str(fieldIdentity, fp)
		}
		if id := c.Param("id"); id != "" && strings.HasPrefix(c.Path(), "/v2/tasks/") {
			ev = ev.Str(fieldTaskID, id)
		} else if id, ok := c.Get(ctxTaskID).(string); ok && id != "" {
			ev = ev.Str(fieldTaskID, id)
		}
		ev.Msg("request")
		return nil
	}
}

// fingerprint is the loggable identity of a token, given its SHA-256: the
// first 6 hex digits.
func fingerprint(sum [sha256.Size]byte) string { return hex.EncodeToString(sum[:3]) }

// tokenAuth requires `Authorization: Bearer <token>` matching one of the
// accepted tokens (api.md §2): missing or malformed → 401, wrong → 403.
// With no token configured the route is open.
func tokenAuth(accepted ...string) echo.MiddlewareFunc {
	var sums [][32]byte
	for _, t := range accepted {
		if t != "" {
			sums = append(sums, sha256.Sum256([]byte(t)))
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if len(sums) == 0 {
			return next
		}
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, token, ok := strings.Cut(h, " ")
			token = strings.TrimSpace(token)
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return problem.New(wire.CodeUnauthorized, "missing or malformed bearer token")
			}
			// Comparing fixed-size digests keeps the comparison constant
			// time whatever the presented token's length.
			got := sha256.Sum256([]byte(token))
			match := 0
			for _, want := range sums {
				match |= subtle.ConstantTimeCompare(got[:], want[:])
			}
			c.Set(ctxIdentity, fingerprint(got))
			if match != 1 {
				return problem.New(wire.CodeForbidden, "token not accepted")
			}
			return next(c)
		}
	}
}
