package echohttp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// Defaults of the options.
const (
	// DefaultHeartbeatInterval is the interval told to nodes: three of them
	// make nodeapi.DefaultTimeout.
	DefaultHeartbeatInterval = 5 * time.Second
	// DefaultBodyLimit bounds a request body (api.md §2 limits).
	DefaultBodyLimit int64 = 1 << 20
)

// Observer is told about every node change made through the routes; the
// daemon adapts it to its metrics and its dispatcher. Calls happen on the
// request goroutine after the registry changed; they must not block.
type Observer interface {
	// NodeRegistered: a registration that passed the write middleware
	// ended. err is nil when it succeeded (replaced is true when the node
	// was registered before and its pools were replaced), else why it was
	// refused (a body that does not decode, a *nodeapi.ValidationError, a
	// pool conflict); a refused registration changed nothing.
	NodeRegistered(replaced bool, err error)
	// NodeHeartbeat: a heartbeat that passed the write middleware ended.
	// err is nil when the registry took it, wraps nodeapi.ErrUnknownNode
	// when the node is not registered (the agent re-registers), else says
	// why the heartbeat was refused (bad id, body or report).
	NodeHeartbeat(err error)
	// NodeRemoved: the node was deregistered with DELETE.
	NodeRemoved(id string)
}

// PoolMapper renders one pool of the registry for GET /nodes; the daemon
// supplies one to add the state only it holds (leases, its own drains).
type PoolMapper func(nodeapi.PoolView) wire.Pool

// Option configures Register.
type Option func(*handlers)

// WithWriteMiddleware runs m (e.g. the node-token check) on the three write
// routes: register, heartbeat and delete.
func WithWriteMiddleware(m ...echo.MiddlewareFunc) Option {
	return func(h *handlers) { h.write = append(h.write, m...) }
}

// WithReadMiddleware runs m (e.g. the API-token check) on GET /nodes and
// GET /nodes/:id.
func WithReadMiddleware(m ...echo.MiddlewareFunc) Option {
	return func(h *handlers) { h.read = append(h.read, m...) }
}

// WithObserver sets the observer of node changes; nil observes nothing.
func WithObserver(o Observer) Option {
	return func(h *handlers) {
		if o != nil {
			h.obs = o
		}
	}
}

// WithHeartbeatInterval sets the interval told to nodes in
// heartbeat_interval_ms and next_heartbeat_ms (DefaultHeartbeatInterval when
// d < 1 ms). Keep the registry's timeout at a few intervals.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(h *handlers) {
		if d >= time.Millisecond {
			h.intervalMs = d.Milliseconds()
		}
	}
}

// WithBodyLimit bounds request bodies to n bytes (DefaultBodyLimit when
// n <= 0); a larger body fails with *http.MaxBytesError.
func WithBodyLimit(n int64) Option {
	return func(h *handlers) {
		if n > 0 {
			h.bodyLimit = n
		}
	}
}

// WithPoolMapper replaces the rendering of pools in node listings (default:
// PoolToWire with no active leases).
func WithPoolMapper(m PoolMapper) Option {
	return func(h *handlers) {
		if m != nil {
			h.poolMapper = m
		}
	}
}

type handlers struct {
	reg        *nodeapi.Registry
	obs        Observer
	write      []echo.MiddlewareFunc
	read       []echo.MiddlewareFunc
	intervalMs int64
	bodyLimit  int64
	poolMapper PoolMapper
}

// Register mounts the node routes on g, which the daemon creates at /v2:
//
//	POST   /nodes/register       200 wire.NodeRegisterResponse
//	POST   /nodes/:id/heartbeat  200 wire.HeartbeatResponse
//	DELETE /nodes/:id            204
//	GET    /nodes                200 []wire.Node (never null)
//	GET    /nodes/:id            200 wire.Node
//
// Static nodes (home profile) are not served: they are absent from the
// listing, their id cannot be registered (400), heartbeated or deleted (404).
func Register(g *echo.Group, reg *nodeapi.Registry, opts ...Option) {
	h := &handlers{
		reg:        reg,
		obs:        nopObserver{},
		intervalMs: DefaultHeartbeatInterval.Milliseconds(),
		bodyLimit:  DefaultBodyLimit,
		poolMapper: func(v nodeapi.PoolView) wire.Pool { return PoolToWire(v, 0) },
	}
	for _, o := range opts {
		o(h)
	}
	g.POST("/nodes/register", h.register, h.write...)
	g.POST("/nodes/:id/heartbeat", h.heartbeat, h.write...)
	g.DELETE("/nodes/:id", h.deregister, h.write...)
	g.GET("/nodes", h.list, h.read...)
	g.GET("/nodes/:id", h.get, h.read...)
}

func (h *handlers) register(c echo.Context) error {
	req, replaced, err := h.registerNode(c)
	h.obs.NodeRegistered(replaced, err)
	if err != nil {
		return err
	}
	msg := "registered"
	if replaced {
		msg = "re-registered; pools replaced"
	}
	return c.JSON(http.StatusOK, wire.NodeRegisterResponse{
		Success:             true,
		Message:             msg,
		NodeID:              req.NodeID,
		HeartbeatIntervalMs: h.intervalMs,
	})
}

// registerNode decodes and applies a registration.
func (h *handlers) registerNode(c echo.Context) (req wire.NodeRegisterRequest, replaced bool, err error) {
	if err := decodeJSON(c, &req, h.bodyLimit); err != nil {
		return req, false, err
	}
	if n, ok := h.reg.Node(req.NodeID); ok && n.Static {
		return req, false, &nodeapi.ValidationError{Field: "node_id", Reason: "reserved by a pool of the orchestrator's own configuration"}
	}
	replaced, err = h.reg.Register(NodeSpecFromWire(&req))
	return req, replaced, err
}

func (h *handlers) heartbeat(c echo.Context) error {
	err := h.applyHeartbeat(c)
	h.obs.NodeHeartbeat(err)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.HeartbeatResponse{Success: true, NextHeartbeatMs: h.intervalMs})
}

// applyHeartbeat decodes a heartbeat and hands its reports to the registry.
func (h *handlers) applyHeartbeat(c echo.Context) error {
	id, err := nodeID(c)
	if err != nil {
		return err
	}
	var req wire.HeartbeatRequest
	if err := decodeJSON(c, &req, h.bodyLimit); err != nil {
		return err
	}
	if n, ok := h.reg.Node(id); ok && n.Static {
		return unknownNode(id)
	}
	if err := h.reg.Heartbeat(id, ReportsFromWire(req.Pools)); err != nil {
		return registryError(id, err)
	}
	return nil
}

func (h *handlers) deregister(c echo.Context) error {
	id, err := nodeID(c)
	if err != nil {
		return err
	}
	if n, ok := h.reg.Node(id); ok && n.Static {
		return unknownNode(id)
	}
	if err := h.reg.Deregister(id); err != nil {
		return registryError(id, err)
	}
	h.obs.NodeRemoved(id)
	return c.NoContent(http.StatusNoContent)
}

func (h *handlers) list(c echo.Context) error {
	views := h.reg.Nodes()
	out := make([]wire.Node, 0, len(views))
	for i := range views {
		if !views[i].Static {
			out = append(out, NodeToWire(&views[i], h.poolMapper))
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (h *handlers) get(c echo.Context) error {
	id, err := nodeID(c)
	if err != nil {
		return err
	}
	v, ok := h.reg.Node(id)
	if !ok || v.Static {
		return unknownNode(id)
	}
	return c.JSON(http.StatusOK, NodeToWire(&v, h.poolMapper))
}

// nodeID reads the :id path parameter, percent-decoded, as a node id.
func nodeID(c echo.Context) (string, error) {
	id := c.Param("id")
	if strings.IndexByte(id, '%') >= 0 {
		dec, err := url.PathUnescape(id)
		if err != nil {
			return "", &nodeapi.ValidationError{Field: "id", Reason: "malformed percent-encoding"}
		}
		id = dec
	}
	if !nodeapi.ValidID(id) {
		return "", &nodeapi.ValidationError{Field: "id", Reason: "must be 1-128 characters of [A-Za-z0-9._:@+-]"}
	}
	return id, nil
}

// UnknownNodeError names a node that is not registered. It matches
// nodeapi.ErrUnknownNode with errors.Is.
type UnknownNodeError struct{ NodeID string }

func (e *UnknownNodeError) Error() string {
	return nodeapi.ErrUnknownNode.Error() + ": " + e.NodeID
}

// Unwrap returns nodeapi.ErrUnknownNode.
func (e *UnknownNodeError) Unwrap() error { return nodeapi.ErrUnknownNode }

func unknownNode(id string) error { return &UnknownNodeError{NodeID: id} }

// registryError turns the registry's unknown-node error into the typed one.
func registryError(id string, err error) error {
	if errors.Is(err, nodeapi.ErrUnknownNode) {
		return unknownNode(id)
	}
	return err
}

type nopObserver struct{}

func (nopObserver) NodeRegistered(bool, error) {}
func (nopObserver) NodeHeartbeat(error)        {}
func (nopObserver) NodeRemoved(string)         {}
