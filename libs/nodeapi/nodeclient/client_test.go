package nodeclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
	"github.com/orchestratord/orchestratord/libs/nodeapi/nodeclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "node-secret"

// orchestrator serves the echohttp node routes with a bearer check on the
// write routes and an error handler that maps errors like the daemon's.
func orchestrator(t *testing.T) (*httptest.Server, *nodeapi.Registry) {
	t.Helper()
	reg := nodeapi.NewRegistry(time.Minute)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		env := wire.ErrorEnvelope{Code: wire.CodeInternal, Message: "internal error"}
		var ve *nodeapi.ValidationError
		switch {
		case errors.As(err, &ve):
			env = wire.ErrorEnvelope{Code: wire.CodeInvalidParams, Message: ve.Field + ": " + ve.Reason}
		case errors.Is(err, nodeapi.ErrUnknownNode):
			env = wire.ErrorEnvelope{Code: wire.CodeNotFound, Message: "node not found"}
		case errors.Is(err, echo.ErrForbidden):
			env = wire.ErrorEnvelope{Code: wire.CodeForbidden, Message: "wrong token"}
		}
		_ = c.JSON(env.HTTPStatus(), env)
	}
	auth := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Header.Get("Authorization") != "Bearer "+token {
				return echo.ErrForbidden
			}
			return next(c)
		}
	}
	echohttp.Register(e.Group("/v2"), reg, echohttp.WithWriteMiddleware(auth), echohttp.WithHeartbeatInterval(3*time.Second))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, reg
}

func registration(id string) wire.NodeRegisterRequest {
	return wire.NodeRegisterRequest{
		NodeID:       id,
		Address:      "http://127.0.0.1:7000",
		Capabilities: wire.NodeCapabilities{CPUCores: 8},
		Pools: []wire.PoolRegistration{{PoolID: "pool-" + id, Engine: wire.EngineVLLM,
			URL: "http://127.0.0.1:8000", Models: []string{"org/m"}, SlotsTotal: 2}},
	}
}

func TestRegisterHeartbeatDeregister(t *testing.T) {
	is := is.New(t)
	srv, reg := orchestrator(t)
	c := nodeclient.New(srv.URL+"/v2/", token)
	ctx := context.Background()

	rr, err := c.Register(ctx, registration("rack:1@a"))
	is.NoErr(err)                                                                                                                // registered
	is.Equal(rr, wire.NodeRegisterResponse{Success: true, Message: "registered", NodeID: "rack:1@a", HeartbeatIntervalMs: 3000}) // the response decoded

	free := 1
	hr, err := c.Heartbeat(ctx, "rack:1@a", wire.HeartbeatRequest{TimestampMs: 5, Pools: []wire.PoolHeartbeat{
		{PoolID: "pool-rack:1@a", Ready: true, SlotsFree: &free, SlotsTotal: 2}}})
	is.NoErr(err)                                                              // heartbeat accepted
	is.Equal(hr, wire.HeartbeatResponse{Success: true, NextHeartbeatMs: 3000}) // the response decoded
	p, _ := reg.Pool("pool-rack:1@a")
	is.Equal(p.Report.SlotsFree, 1) // the report reached the registry (the id survived escaping)

	is.NoErr(c.Deregister(ctx, "rack:1@a")) // deregistered
	_, ok := reg.Node("rack:1@a")
	is.True(!ok) // gone

	_, err = c.Heartbeat(ctx, "rack:1@a", wire.HeartbeatRequest{TimestampMs: 6})
	is.True(errors.Is(err, nodeclient.ErrUnknownNode)) // 404 → ErrUnknownNode
	var se *nodeclient.StatusError
	is.True(errors.As(err, &se))                                                 // with the status
	is.Equal(se.StatusCode, http.StatusNotFound)                                 // 404
	is.Equal(se.Envelope.Code, wire.CodeNotFound)                                // and the envelope
	is.True(errors.Is(c.Deregister(ctx, "rack:1@a"), nodeclient.ErrUnknownNode)) // deregistering twice too
}

func TestErrors(t *testing.T) {
	srv, _ := orchestrator(t)
	ctx := context.Background()

	t.Run("wrong token", func(t *testing.T) {
		is := is.New(t)
		_, err := nodeclient.New(srv.URL, "wrong").Register(ctx, registration("n1"))
		var se *nodeclient.StatusError
		is.True(errors.As(err, &se))                        // a status error
		is.Equal(se.StatusCode, http.StatusForbidden)       // 403
		is.Equal(se.Envelope.Code, wire.CodeForbidden)      // the envelope decoded
		is.True(!errors.Is(err, nodeclient.ErrUnknownNode)) // not an unknown node
	})
	t.Run("invalid registration", func(t *testing.T) {
		is := is.New(t)
		_, err := nodeclient.New(srv.URL, token).Register(ctx, registration("bad id"))
		var se *nodeclient.StatusError
		is.True(errors.As(err, &se))                       // a status error
		is.Equal(se.StatusCode, http.StatusBadRequest)     // 400
		is.Equal(se.Envelope.Code, wire.CodeInvalidParams) // naming the code
	})
	t.Run("malformed success body", func(t *testing.T) {
		is := is.New(t)
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }))
		defer bad.Close()
		_, err := nodeclient.New(bad.URL, token).Register(ctx, registration("n1"))
		is.True(errors.Is(err, nodeclient.ErrMalformedResponse)) // reported as malformed
	})
	t.Run("unreachable", func(t *testing.T) {
		is := is.New(t)
		gone := httptest.NewServer(http.NotFoundHandler())
		url := gone.URL
		gone.Close()
		_, err := nodeclient.New(url, token).Heartbeat(ctx, "n1", wire.HeartbeatRequest{})
		is.True(err != nil)                                 // a transport error
		is.True(!errors.Is(err, nodeclient.ErrUnknownNode)) // not an unknown node
	})
	t.Run("canceled", func(t *testing.T) {
		is := is.New(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := nodeclient.New(srv.URL, token).Register(cctx, registration("n1"))
		is.True(errors.Is(err, context.Canceled)) // the context's error
	})
}
