package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// MetaService answers the discovery routes.
type MetaService interface {
	Version() wire.Version
	Capabilities() wire.Capabilities
}

// ArtifactService stores and reads artifacts.
type ArtifactService interface {
	Create(ctx context.Context, req wire.ArtifactCreateRequest) (wire.ArtifactCreated, error)
	Get(ctx context.Context, id string) (wire.Artifact, error)
}

func (s *Server) version(c echo.Context) error {
	return c.JSON(http.StatusOK, s.deps.Meta.Version())
}

func (s *Server) capabilities(c echo.Context) error {
	return c.JSON(http.StatusOK, s.deps.Meta.Capabilities())
}

func (s *Server) createArtifact(c echo.Context) error {
	var req wire.ArtifactCreateRequest
	if err := s.decodeJSON(c, &req, s.deps.ArtifactLimit); err != nil {
		return err
	}
	a, err := s.deps.Artifacts.Create(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) getArtifact(c echo.Context) error {
	a, err := s.deps.Artifacts.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
