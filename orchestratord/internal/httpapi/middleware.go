package httpapi

import (
	"context"
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

const headerCorrelation = wire.HeaderCorrelationID // canonical: assigned without re-canonicalizing

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

// exchange is one request as the routes see it: echo's context plus what
// the access line reports. observe hands every handler an *exchange.
type exchange struct {
	echo.Context
	identity string // the fingerprint of the presented token
	taskID   string // the task the request submitted
}

// setIdentity records the caller's token fingerprint for the access line.
func setIdentity(c echo.Context, fingerprint string) {
	if x, ok := c.(*exchange); ok {
		x.identity = fingerprint
	}
}

// setTaskID records the task a request submitted for the access line.
func setTaskID(c echo.Context, id string) {
	if x, ok := c.(*exchange); ok {
		x.taskID = id
	}
}

// observe gives every request a correlation id (the client's when valid,
// else a fresh ULID), echoes it in the response, and writes one access line
// per request after it completes. The id is read back from the response
// (correlationID), so the request itself is not copied to carry it; the
// handlers that submit work pass it to their service in the context
// (serviceContext).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		id := c.Request().Header.Get(headerCorrelation)
		if !validCorrelation(id) {
			id = s.deps.NewID()
		}
		c.Response().Header()[headerCorrelation] = []string{id}

		x, _ := s.exchanges.Get().(*exchange)
		if x == nil {
			x = &exchange{}
		}
		*x = exchange{Context: c}
		defer func() {
			*x = exchange{}
			s.exchanges.Put(x)
		}()
		if err := next(x); err != nil {
			x.Error(err)
		}
		s.accessLine(x, start)
		return nil
	}
}

// accessLine writes the request's access line.
func (s *Server) accessLine(x *exchange, start time.Time) {
	status := x.Response().Status
	ev := s.deps.Log.Info()
	if status >= 500 {
		ev = s.deps.Log.Error()
	}
	if !ev.Enabled() {
		return
	}
	ev = withCorrelation(ev, x).Str(fieldMethod, x.Request().Method).Str(fieldRoute, x.Path()).Int(fieldStatus, status).
		Float64(fieldDurationMs, float64(time.Since(start).Microseconds())/1000)
	if x.identity != "" {
		ev = ev.Str(fieldIdentity, x.identity)
	}
	if id := x.Param("id"); id != "" && strings.HasPrefix(x.Path(), "/v2/tasks/") {
		ev = ev.Str(fieldTaskID, id)
	} else if x.taskID != "" {
		ev = ev.Str(fieldTaskID, x.taskID)
	}
	ev.Msg("request")
}

// correlationID is the request's correlation id: the one its response
// carries.
func correlationID(c echo.Context) string {
	if v := c.Response().Header()[headerCorrelation]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// serviceContext is the request's context carrying its correlation id, for
// the service calls that submit work (their state changes are logged with
// the id).
func serviceContext(c echo.Context) context.Context {
	return correlation.With(c.Request().Context(), correlationID(c))
}

// withCorrelation adds the request's correlation id to a log event. The
// request's lines are written through the server's logger with the id added
// per line, rather than through a child logger made for every request: a
// disabled level then costs nothing.
func withCorrelation(ev *zerolog.Event, c echo.Context) *zerolog.Event {
	return ev.Str(fieldCorrelation, correlationID(c))
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
			setIdentity(c, fingerprint(got))
			if match != 1 {
				return problem.New(wire.CodeForbidden, "token not accepted")
			}
			return next(c)
		}
	}
}
