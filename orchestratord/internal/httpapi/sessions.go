package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// SessionService is what the session routes need (api.md §3 "Sessions").
type SessionService interface {
	Session(ctx context.Context, id string) (wire.Session, error)
	DeleteSession(ctx context.Context, id string) error
}

func (s *Server) getSession(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sess, err := s.deps.Sessions.Session(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}

func (s *Server) deleteSession(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.Sessions.DeleteSession(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
