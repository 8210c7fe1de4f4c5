package echohttp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/openapi"
	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// contractRouter loads the OpenAPI document once for the whole package.
var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil // match any host
	return gorillamux.NewRouter(doc)
})

// contractError validates a recorded response against the OpenAPI document:
// the route exists, and the status, headers and body match.
func contractError(req *http.Request, status int, header http.Header, body []byte) error {
	router, err := contractRouter()
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	})
}

// fakeClock is a manual clock for the registry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordingObserver records every call as a line.
type recordingObserver struct {
	mu    sync.Mutex
	calls []string
}

func (o *recordingObserver) add(s string) {
	o.mu.Lock()
	o.calls = append(o.calls, s)
	o.mu.Unlock()
}

func (o *recordingObserver) NodeRegistered(replaced bool, err error) {
	switch {
	case err != nil:
		o.add("register-error")
	case replaced:
		o.add("replaced")
	default:
		o.add("registered")
	}
}

func (o *recordingObserver) NodeHeartbeat(err error) {
	switch {
	case errors.Is(err, nodeapi.ErrUnknownNode):
		o.add("heartbeat-unknown")
	case err != nil:
		o.add("heartbeat-error")
	default:
		o.add("heartbeat")
	}
}

func (o *recordingObserver) NodeRemoved(id string) { o.add("removed " + id) }

func (o *recordingObserver) Calls() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

// fixture is an echo server with the node routes on /v2, an error handler
// that maps errors like the daemon's and records them, and a correlation id
// on every response.
type fixture struct {
	e     *echo.Echo
	reg   *nodeapi.Registry
	clock *fakeClock
	obs   *recordingObserver

	mu   sync.Mutex
	errs []error
}

func newFixture(opts ...echohttp.Option) *fixture {
	f := &fixture{clock: &fakeClock{t: time.UnixMilli(1_700_000_000_000)}, obs: &recordingObserver{}}
	f.reg = nodeapi.NewRegistry(15*time.Second, nodeapi.WithClock(f.clock.Now))
	f.e = echo.New()
	f.e.HTTPErrorHandler = f.handleError
	f.e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("X-Correlation-Id", "test-correlation")
			return next(c)
		}
	})
	api := f.e.Group("/v2")
	echohttp.Register(api, f.reg, append([]echohttp.Option{echohttp.WithObserver(f.obs)}, opts...)...)
	return f
}

// handleError maps errors to the envelope as the daemon does.
func (f *fixture) handleError(err error, c echo.Context) {
	f.mu.Lock()
	f.errs = append(f.errs, err)
	f.mu.Unlock()
	env := wire.ErrorEnvelope{Code: wire.CodeInternal, Message: "internal error"}
	var (
		ve  *nodeapi.ValidationError
		mbe *http.MaxBytesError
		he  *echo.HTTPError
	)
	switch {
	case errors.As(err, &ve):
		env = wire.ErrorEnvelope{Code: wire.CodeInvalidParams, Message: ve.Field + ": " + ve.Reason}
	case errors.Is(err, nodeapi.ErrUnknownNode):
		env = wire.ErrorEnvelope{Code: wire.CodeNotFound, Message: "node not found"}
	case errors.Is(err, nodeapi.ErrPoolConflict):
		env = wire.ErrorEnvelope{Code: wire.CodeConflict, Message: "pool owned by another node"}
	case errors.As(err, &mbe):
		env = wire.ErrorEnvelope{Code: wire.CodePayloadTooLarge, Message: "body too large"}
	case errors.As(err, &he) && he.Code == http.StatusUnauthorized:
		env = wire.ErrorEnvelope{Code: wire.CodeUnauthorized, Message: "missing bearer token"}
	}
	_ = c.JSON(env.HTTPStatus(), env)
}

// lastErr returns the error the last failed request returned.
func (f *fixture) lastErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) == 0 {
		return nil
	}
	return f.errs[len(f.errs)-1]
}

// result is a recorded exchange.
type result struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// contract validates the exchange against the OpenAPI document.
func (r result) contract() error { return contractError(r.req, r.status, r.header, r.body) }

func (f *fixture) do(method, path, body string) result {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return result{req: req, status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

const registerBody = `{"node_id":"gpu-1","machine_id":"m-1","address":"http://10.0.0.9:7070","version":"0.3.0",
 "capabilities":{"gpus":[{"index":0,"name":"L4","vram_total_bytes":24000000000}],"cpu_cores":16},
 "pools":[{"pool_id":"p-llama","engine":"llamacpp","url":"http://127.0.0.1:8081","models":["org/llama-3-8b"],
  "slots_total":4,"ctx_max":8192,"device_mask":"0"}]}`
