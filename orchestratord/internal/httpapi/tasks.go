package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// TaskService is what the task routes need.
type TaskService interface {
	Admit(ctx context.Context, req wire.TaskRequest) (wire.AdmissionResponse, error)
	Status(ctx context.Context, id string) (wire.TaskStatus, error)
	Cancel(ctx context.Context, id string) error
	// Stream returns the task's event log and its session's budgets left.
	Stream(ctx context.Context, id string) (*streaming.Log, wire.Budget, error)
}

func (s *Server) createTask(c echo.Context) error {
	var req wire.TaskRequest
	if err := s.decodeTask(c, &req, s.deps.BodyLimit); err != nil {
		return err
	}
	req.TrustPolicy = wire.TrustMode(c.Request().Header.Get(wire.HeaderTrustPolicy))
	adm, err := s.deps.Tasks.Admit(serviceContext(c), req)
	if err != nil {
		return err
	}
	setTaskID(c, adm.TaskID) // for the access line
	return s.writeAdmission(c, adm)
}

// writeAdmission writes the 202 of an admission: Location, the budget
// headers and the body, which it encodes without reflection into a pooled
// buffer — the bytes echo's c.JSON writes (which is used when a query
// string may ask for ?pretty).
func (s *Server) writeAdmission(c echo.Context, adm wire.AdmissionResponse) error {
	h := c.Response().Header()
	adm.Budget.SetHeaders(h)
	if c.Request().URL.RawQuery != "" {
		h[echo.HeaderLocation] = []string{adm.Location()}
		return c.JSON(http.StatusAccepted, adm)
	}
	// Both header values in one allocation; the keys are canonical.
	vals := []string{adm.Location(), echo.MIMEApplicationJSON}
	h[echo.HeaderLocation] = vals[0:1:1]
	if h.Get(echo.HeaderContentType) == "" {
		h[echo.HeaderContentType] = vals[1:2:2]
	}
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	*buf = append(adm.AppendJSON((*buf)[:0]), '\n')
	return writeBody(c, http.StatusAccepted, *buf)
}

func (s *Server) getTask(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := s.deps.Tasks.Status(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) cancelTask(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Tasks.Cancel(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// taskEvents streams a task's frames as SSE, resuming after Last-Event-ID.
func (s *Server) taskEvents(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	after, err := streaming.ParseLastEventID(c.Request().Header.Get("Last-Event-ID"))
	if err != nil {
		return problem.Invalid("Last-Event-ID", "want a frame id, got %q", c.Request().Header.Get("Last-Event-ID"))
	}
	ctx := c.Request().Context()
	log, budget, err := s.deps.Tasks.Stream(ctx, id)
	if err != nil {
		return err
	}
	// Parsing an empty query would still allocate its map.
	verbose := c.Request().URL.RawQuery != "" && c.QueryParam("verbose") == "true"
	resp := c.Response()
	h := resp.Header()
	// The three values in one allocation; the keys are canonical.
	vals := []string{"text/event-stream", "no-cache", "no"}
	h[echo.HeaderContentType] = vals[0:1:1]
	h[echo.HeaderCacheControl] = vals[1:2:2]
	h["X-Accel-Buffering"] = vals[2:3:3]
	budget.SetHeaders(h)
	resp.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(resp.Writer)
	// The handler's return flushes the terminal frame with the end of the
	// chunked body.
	err = streaming.Serve(ctx, resp.Writer, rc.Flush, log, after, streaming.WithVerbose(verbose),
		streaming.WithKeepAlive(s.deps.KeepAlive), streaming.WithoutFinalFlush())
	if err != nil && ctx.Err() != nil {
		return nil // the reader went away; a /v2 task keeps running
	}
	return err
}

// pathID validates a client-supplied id from the path (api.md §2 "ids").
func pathID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !wire.ValidID(id) {
		return "", problem.Invalid(name, "want 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	return id, nil
}
