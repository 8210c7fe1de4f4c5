package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// CatalogService answers the catalog routes (api.md §6).
type CatalogService interface {
	Create(ctx context.Context, m wire.CatalogModel) (wire.CatalogModel, error)
	List(ctx context.Context) ([]wire.CatalogModel, error)
	Get(ctx context.Context, id string) (wire.CatalogModel, error)
	Delete(ctx context.Context, id string) error
	Verify(ctx context.Context, id string) (wire.CatalogModel, error)
	SetState(ctx context.Context, id string, req wire.ModelStateRequest) (wire.CatalogModel, error)
}

// registerCatalog mounts the catalog routes on the /v2 group.
func (s *Server) registerCatalog(v2 *echo.Group) {
	v2.POST("/catalog/models", s.createModel)
	v2.GET("/catalog/models", s.listModels)
	v2.GET("/catalog/models/:id", s.getModel)
	v2.DELETE("/catalog/models/:id", s.deleteModel)
	v2.POST("/catalog/models/:id/verify", s.verifyModel)
	v2.POST("/catalog/models/:id/state", s.setModelState)
}

func (s *Server) createModel(c echo.Context) error {
	var m wire.CatalogModel
	if err := s.decodeJSON(c, &m, s.deps.BodyLimit); err != nil {
		return err
	}
	out, err := s.deps.Catalog.Create(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) listModels(c echo.Context) error {
	out, err := s.deps.Catalog.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getModel(c echo.Context) error {
	id, err := modelID(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Catalog.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteModel(c echo.Context) error {
	id, err := modelID(c)
	if err != nil {
		return err
	}
	if err := s.deps.Catalog.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) verifyModel(c echo.Context) error {
	id, err := modelID(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Catalog.Verify(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

func (s *Server) setModelState(c echo.Context) error {
	id, err := modelID(c)
	if err != nil {
		return err
	}
	var req wire.ModelStateRequest
	if err := s.decodeJSON(c, &req, s.deps.BodyLimit); err != nil {
		return err
	}
	out, err := s.deps.Catalog.SetState(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

// modelID is the path's model id, percent-decoded (a "/" in it arrives as
// %2F, api.md §2); the service validates what it decodes to.
func modelID(c echo.Context) (string, error) {
	id, err := url.PathUnescape(c.Param("id"))
	if err != nil {
		return "", problem.Invalid("id", "malformed percent-encoding")
	}
	return id, nil
}
