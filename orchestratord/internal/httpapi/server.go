// Package httpapi owns orchestratord's echo routes. Handlers only
// translate: bind the contracts type, call one service, encode the result;
// errors go to one HTTPErrorHandler that maps them to the envelope.
package httpapi

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

// Deps are the services the routes call.
type Deps struct {
	Tasks     TaskService
	Artifacts ArtifactService
	Catalog   CatalogService
	Meta      MetaService
	OpenAI    OpenAIService
	Sessions  SessionService
	Pools     PoolService
	Metrics   http.Handler
	Ready     func() error
	Log       zerolog.Logger
	NewID     func() string

	APIToken      string
	NodeToken     string
	MetricsAuth   bool
	BodyLimit     int64
	ArtifactLimit int64
	KeepAlive     time.Duration

	Nodes             *nodeapi.Registry
	NodeObserver      echohttp.Observer
	PoolMapper        echohttp.PoolMapper
	HeartbeatInterval time.Duration
}

// Server is the HTTP surface.
type Server struct {
	deps Deps
	echo *echo.Echo
	bufs bodyBuffers
	// exchanges recycles the per-request state observe hands the routes;
	// like echo's own contexts, none is used after its request returns.
	exchanges sync.Pool
}

// New builds the router.
func New(d Deps) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{deps: d, echo: e}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover(), s.observe)

	api := tokenAuth(d.APIToken)
	ops := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	if d.MetricsAuth {
		ops = api
	}
	e.GET("/healthz", s.healthz, ops)
	e.GET("/readyz", s.readyz, ops)
	e.GET("/metrics", echo.WrapHandler(d.Metrics), ops)

	v2 := e.Group("/v2", api)
	v2.POST("/tasks", s.createTask)
	v2.GET("/tasks/:id", s.getTask)
	v2.GET("/tasks/:id/events", s.taskEvents)
	v2.POST("/tasks/:id/cancel", s.cancelTask)
	v2.GET("/sessions/:id", s.getSession)
	v2.DELETE("/sessions/:id", s.deleteSession)
	v2.POST("/artifacts", s.createArtifact)
	v2.GET("/artifacts/:id", s.getArtifact)
	v2.GET("/meta/version", s.version)
	v2.GET("/meta/capabilities", s.capabilities)
	s.registerCatalog(v2)
	s.routePools(v2)

	v1 := e.Group("/v1", api)
	v1.POST("/chat/completions", s.chatCompletions)
	v1.POST("/completions", s.completions)
	v1.GET("/models", s.models)

	// Node routes: writes take the node token when one is set (api.md §5).
	nodeWrite := api
	if d.NodeToken != "" {
		nodeWrite = tokenAuth(d.NodeToken)
	}
	echohttp.Register(e.Group("/v2"), d.Nodes,
		echohttp.WithWriteMiddleware(nodeWrite), echohttp.WithReadMiddleware(api),
		echohttp.WithHeartbeatInterval(d.HeartbeatInterval), echohttp.WithBodyLimit(d.BodyLimit),
		echohttp.WithObserver(d.NodeObserver), echohttp.WithPoolMapper(d.PoolMapper))
	return s
}

// Handler is the router as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes lists every served method and path template, for the contract test.
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.echo.Routes() {
		out = append(out, Route{Method: r.Method, Path: r.Path})
	}
	return out
}

// Route is one served method and path.
type Route struct{ Method, Path string }

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if err := s.deps.Ready(); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
