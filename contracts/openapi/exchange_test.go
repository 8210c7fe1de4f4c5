package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/matryer/is"
)

func TestMain(m *testing.M) {
	// kin-openapi has no decoder for these text media types; their bodies are
	// validated as plain strings.
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/openmetrics-text", openapi3filter.PlainBodyDecoder)
	os.Exit(m.Run())
}

const (
	ctJSON    = "application/json"
	ctSSE     = "text/event-stream"
	serverURL = "http://127.0.0.1:8080"
	corrID    = "01JD7Q3W0000000000000000AB"
)

// exchange is one request and the response the server sends to it.
type exchange struct {
	name    string
	method  string
	url     string
	reqBody []byte
	status  int
	ctype   string
	header  http.Header
	body    []byte
}

func newRouter(t *testing.T) routers.Router {
	t.Helper()
	is := is.New(t)
	r, err := gorillamux.NewRouter(load(t))
	is.NoErr(err) // the router builds from the document
	return r
}

// validate checks ex's request and response against the document and
// returns the response's error (nil when it conforms).
func validate(t *testing.T, router routers.Router, ex exchange) error {
	t.Helper()
	is := is.New(t)
	ctx := context.Background()
	req := httptest.NewRequest(ex.method, serverURL+ex.url, bytes.NewReader(ex.reqBody))
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Content-Type", ctJSON)
	route, params, err := router.FindRoute(req)
	is.NoErr(err) // the route is documented
	reqIn := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	is.NoErr(openapi3filter.ValidateRequest(ctx, reqIn)) // the request conforms

	h := http.Header{}
	h.Set("X-Correlation-Id", corrID)
	h.Set("Content-Type", ex.ctype)
	for k, v := range ex.header {
		h[k] = v
	}
	respIn := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn, Status: ex.status, Header: h,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	respIn.SetBodyBytes(ex.body)
	return openapi3filter.ValidateResponse(ctx, respIn)
}

// js encodes v; the wire types always encode.
func js(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
