package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// PoolService answers the pool control routes (api.md §5) and the live
// model availability (api.md §6).
type PoolService interface {
	List(ctx context.Context) ([]wire.Pool, error)
	Health(ctx context.Context, id string) (wire.PoolHealth, error)
	Drain(ctx context.Context, id string, req wire.DrainRequest) error
	Reload(ctx context.Context, id string, req wire.ReloadRequest) error
	Purge(ctx context.Context, id string, req wire.PurgeRequest) error
	Availability(ctx context.Context) ([]wire.Availability, error)
}

// routePools mounts the pool routes and GET /catalog/availability on g.
func (s *Server) routePools(g *echo.Group) {
	g.GET("/pools", s.listPools)
	g.GET("/pools/:id/health", s.poolHealth)
	g.POST("/pools/:id/drain", s.drainPool)
	g.POST("/pools/:id/reload", s.reloadPool)
	g.POST("/pools/:id/purge", s.purgePool)
	g.GET("/catalog/availability", s.availability)
}

func (s *Server) listPools(c echo.Context) error {
	pools, err := s.deps.Pools.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, pools)
}

func (s *Server) poolHealth(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	h, err := s.deps.Pools.Health(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

func (s *Server) drainPool(c echo.Context) error {
	var req wire.DrainRequest
	return s.poolAction(c, &req, func(ctx context.Context, id string) error { return s.deps.Pools.Drain(ctx, id, req) })
}

func (s *Server) reloadPool(c echo.Context) error {
	var req wire.ReloadRequest
	return s.poolAction(c, &req, func(ctx context.Context, id string) error { return s.deps.Pools.Reload(ctx, id, req) })
}

func (s *Server) purgePool(c echo.Context) error {
	var req wire.PurgeRequest
	return s.poolAction(c, &req, func(ctx context.Context, id string) error { return s.deps.Pools.Purge(ctx, id, req) })
}

// poolAction decodes the body of a control call into req, calls do and
// answers 202 with no body.
func (s *Server) poolAction(c echo.Context, req any, do func(ctx context.Context, id string) error) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.decodeJSON(c, req, s.deps.BodyLimit); err != nil {
		return err
	}
	if err := do(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusAccepted)
}

func (s *Server) availability(c echo.Context) error {
	out, err := s.deps.Pools.Availability(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
