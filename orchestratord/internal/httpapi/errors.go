package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// toProblem maps any error a handler returned to the contract's taxonomy:
// the one place where library sentinels meet HTTP (style.md §7).
func toProblem(err error) *problem.Error {
	if p, ok := problem.As(err); ok {
		return p
	}
	var (
		he  *echo.HTTPError
		mbe *http.MaxBytesError
		ve  *nodeapi.ValidationError
		pce *nodeapi.PoolConflictError
	)
	switch {
	case errors.As(err, &ve):
		return problem.Invalid(ve.Field, "%s", ve.Reason)
	case errors.Is(err, nodeapi.ErrUnknownNode):
		return problem.New(wire.CodeNotFound, "node not found")
	case errors.As(err, &pce):
		return problem.New(wire.CodeConflict, "pool %s belongs to node %s", pce.PoolID, pce.Owner)
	case errors.As(err, &mbe):
		return problem.New(wire.CodePayloadTooLarge, "request body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, artifacts.ErrNotFound):
		return problem.New(wire.CodeNotFound, "artifact not found")
	case errors.Is(err, artifacts.ErrInvalidID):
		return problem.Invalid("id", "an artifact id is 64 lowercase hex characters")
	case errors.Is(err, artifacts.ErrTooLarge):
		return problem.New(wire.CodePayloadTooLarge, "artifact exceeds the size limit")
	case errors.Is(err, artifacts.ErrInvalid):
		return &problem.Error{Code: wire.CodeInvalidParams, Message: "invalid artifact: " + strings.TrimPrefix(err.Error(), "artifacts: "), Err: err}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return problem.New(wire.CodeNotFound, "no such route")
		case http.StatusMethodNotAllowed:
			return &problem.Error{Code: wire.CodeNotFound, Message: "method not allowed on this route"}
		case http.StatusRequestEntityTooLarge:
			return problem.New(wire.CodePayloadTooLarge, "request body too large")
		case http.StatusUnauthorized:
			return problem.New(wire.CodeUnauthorized, "missing or malformed bearer token")
		case http.StatusBadRequest:
			return problem.New(wire.CodeInvalidParams, "bad request")
		}
	}
	return &problem.Error{Code: wire.CodeInternal, Message: "internal error", Err: err}
}

// handleError is echo's HTTPErrorHandler: it writes the error envelope, or
// the OpenAI error object on /v1 routes.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(c.Request().Context().Err(), context.Canceled) {
		withCorrelation(s.deps.Log.Debug(), c).Err(err).Msg("client went away")
		return
	}
	p := toProblem(err)
	status := p.Status()
	if p.Code == wire.CodeInternal {
		withCorrelation(s.deps.Log.Error(), c).Err(err).Msg("internal error")
	}
	h := c.Response().Header()
	if status == http.StatusTooManyRequests {
		ms := p.RetryAfter.Milliseconds()
		h.Set("Retry-After", strconv.FormatInt(max(1, int64(math.Ceil(float64(ms)/1000))), 10))
		h.Set("X-Backoff-Ms", strconv.FormatInt(ms, 10))
	}
	if p.Budget != nil {
		p.Budget.SetHeaders(h)
	}
	if p.Code == wire.CodeUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="orchestratord"`)
	}
	if strings.HasPrefix(c.Path(), "/v1/") || strings.HasPrefix(c.Request().URL.Path, "/v1/") {
		writeJSON(c, status, openAIError(p))
		return
	}
	env := wire.ErrorEnvelope{Code: p.Code, Message: p.Message, Engine: wire.Engine(p.Engine), PolicyLabel: p.Policy}
	if p.Retriable || status == http.StatusTooManyRequests {
		t := true
		env.Retriable = &t
	}
	if status == http.StatusTooManyRequests {
		ms := p.RetryAfter.Milliseconds()
		env.RetryAfterMs = &ms
	}
	writeJSON(c, status, env)
}

// openAIError renders the OpenAI error object for the OpenAI surface: the
// type that matches the status, the contract's code, and the field as param.
func openAIError(p *problem.Error) wire.OpenAIError {
	e := wire.NewOpenAIError(p.Code, p.Message)
	e.Error.Param = p.Field
	return e
}

// writeBody writes the status and an encoded body in one write.
func writeBody(c echo.Context, status int, body []byte) error {
	resp := c.Response()
	resp.WriteHeader(status)
	_, err := resp.Write(body)
	return err
}

func writeJSON(c echo.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"code":"INTERNAL","message":"internal error"}`)
		status = http.StatusInternalServerError
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(status)
	_, _ = c.Response().Write(append(b, '\n'))
}

func jsonProblem(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
		fe  *wire.FieldError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.As(err, &fe):
		return problem.Invalid(fe.Field, "%s", fe.Reason)
	case errors.Is(err, io.EOF):
		return problem.Invalid("body", "a JSON body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.Invalid("body", "malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return problem.Invalid("body", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return problem.Invalid(field, "wrong type: want %s", typ.Type.String())
	default:
		return &problem.Error{Code: wire.CodeInvalidParams, Field: "body", Message: "body: invalid JSON", Err: err}
	}
}
