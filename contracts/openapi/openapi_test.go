package openapi_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/openapi"
	"github.com/orchestratord/orchestratord/contracts/wire"
)

// load parses and validates the embedded document.
func load(t *testing.T) *openapi3.T {
	t.Helper()
	is := is.New(t)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Spec())
	is.NoErr(err)                                // the document parses and its refs resolve
	is.NoErr(doc.Validate(context.Background())) // the document is valid OpenAPI 3.0.3
	return doc
}

func TestSpecValidates(t *testing.T) {
	is := is.New(t)
	doc := load(t)
	is.Equal(doc.OpenAPI, "3.0.3")              // OpenAPI version
	is.Equal(doc.Info.Version, wire.APIVersion) // API version of the contract
	a := openapi.Spec()
	a[0] = 'X'
	is.True(openapi.Spec()[0] != 'X') // Spec hands out a copy
}

// routes are every route of api.md §3–§9 plus the operational ones.
var routes = []struct {
	method, path string
	secured      bool
}{
	{http.MethodPost, "/v2/tasks", true},
	{http.MethodGet, "/v2/tasks/{id}", true},
	{http.MethodGet, "/v2/tasks/{id}/events", true},
	{http.MethodPost, "/v2/tasks/{id}/cancel", true},
	{http.MethodGet, "/v2/sessions/{id}", true},
	{http.MethodDelete, "/v2/sessions/{id}", true},
	{http.MethodPost, "/v2/nodes/register", true},
	{http.MethodPost, "/v2/nodes/{id}/heartbeat", true},
	{http.MethodDelete, "/v2/nodes/{id}", true},
	{http.MethodGet, "/v2/nodes", true},
	{http.MethodGet, "/v2/nodes/{id}", true},
	{http.MethodGet, "/v2/pools", true},
	{http.MethodGet, "/v2/pools/{id}/health", true},
	{http.MethodPost, "/v2/pools/{id}/drain", true},
	{http.MethodPost, "/v2/pools/{id}/reload", true},
	{http.MethodPost, "/v2/pools/{id}/purge", true},
	{http.MethodPost, "/v2/catalog/models", true},
	{http.MethodGet, "/v2/catalog/models", true},
	{http.MethodGet, "/v2/catalog/models/{id}", true},
	{http.MethodDelete, "/v2/catalog/models/{id}", true},
	{http.MethodPost, "/v2/catalog/models/{id}/verify", true},
	{http.MethodPost, "/v2/catalog/models/{id}/state", true},
	{http.MethodGet, "/v2/catalog/availability", true},
	{http.MethodPost, "/v2/artifacts", true},
	{http.MethodGet, "/v2/artifacts/{id}", true},
	{http.MethodGet, "/v2/meta/capabilities", true},
	{http.MethodGet, "/v2/meta/version", true},
	{http.MethodPost, "/v1/chat/completions", true},
	{http.MethodPost, "/v1/completions", true},
	{http.MethodGet, "/v1/models", true},
	{http.MethodGet, "/healthz", false},
	{http.MethodGet, "/readyz", false},
	{http.MethodGet, "/metrics", false},
}

func TestEveryRoute(t *testing.T) {
	doc := load(t)
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			is := is.New(t)
			item := doc.Paths.Find(r.path)
			is.True(item != nil) // the path is documented
			op := item.GetOperation(r.method)
			is.True(op != nil)                                                       // the method is documented
			is.True(op.Security != nil)                                              // security is explicit
			is.Equal(slices.ContainsFunc(*op.Security, requiresNothing), !r.secured) // bearer auth on /v2 and /v1 only
			is.True(slices.ContainsFunc(*op.Security, usesBearer))                   // the bearer scheme applies
			has500 := op.Responses.Value("500") != nil
			is.Equal(has500, r.secured) // /v2 and /v1 document 500, the open routes need none
		})
	}
}

func requiresNothing(req openapi3.SecurityRequirement) bool { return len(req) == 0 }

func usesBearer(req openapi3.SecurityRequirement) bool {
	_, ok := req["bearerAuth"]
	return ok
}

func TestNoUndocumentedRoutes(t *testing.T) {
	is := is.New(t)
	doc := load(t)
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	is.Equal(n, len(routes)) // the document has exactly api.md's routes
}

func TestEveryResponseHasCorrelationID(t *testing.T) {
	doc := load(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				t.Run(method+" "+path+" "+status, func(t *testing.T) {
					is := is.New(t)
					h := resp.Value.Headers["X-Correlation-Id"]
					is.True(h != nil)         // X-Correlation-Id documented
					is.True(h.Value.Required) // and required
				})
			}
		}
	}
}

func TestEveryErrorHasEnvelope(t *testing.T) {
	doc := load(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				t.Run(method+" "+path+" "+status, func(t *testing.T) {
					is := is.New(t)
					isError := status >= "400"
					hasJSON := resp.Value.Content.Get("application/json") != nil
					documented := hasJSON || !isError
					is.True(documented) // every error status has a JSON body
				})
			}
		}
	}
}

func enumOf(t *testing.T, doc *openapi3.T, name string) []string {
	t.Helper()
	is := is.New(t)
	ref := doc.Components.Schemas[name]
	is.True(ref != nil) // the schema exists
	out := make([]string, 0, len(ref.Value.Enum))
	for _, v := range ref.Value.Enum {
		s, ok := v.(string)
		is.True(ok) // enum values are strings
		out = append(out, s)
	}
	return out
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func TestEnumsMatchWire(t *testing.T) {
	doc := load(t)
	inStream := slices.DeleteFunc(wire.ErrorCodes(), func(c wire.ErrorCode) bool { return !c.InStream() })
	tests := []struct {
		schema string
		want   []string
	}{
		{"ErrorCode", strs(wire.ErrorCodes())},
		{"StreamErrorCode", strs(inStream)},
		{"PolicyLabel", strs(wire.PolicyLabels())},
		{"Workload", strs(wire.Workloads())},
		{"Engine", strs(wire.Engines())},
		{"Priority", strs(wire.Priorities())},
		{"Determinism", strs(wire.Determinisms())},
		{"KVHint", strs(wire.KVHints())},
		{"PlacementMode", strs(wire.PlacementModes())},
		{"TaskState", strs(wire.TaskStates())},
		{"FinishReason", strs(wire.FinishReasons())},
		{"NodeStatus", strs(wire.NodeStatuses())},
		{"QueuePolicy", strs(wire.QueuePolicies())},
		{"Strategy", strs(wire.Strategies())},
		{"ModelState", strs(wire.ModelStates())},
		{"TrustMode", strs(wire.TrustModes())},
		{"ArtifactKind", strs(wire.ArtifactKinds())},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			is := is.New(t)
			got := enumOf(t, doc, tt.schema)
			slices.Sort(got)
			slices.Sort(tt.want)
			is.Equal(got, tt.want) // the schema's enum is the wire type's
		})
	}
}
