package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// TestViolationsAreCaught proves the document is strict where api.md is:
// each response breaks one rule and must fail validation.
func TestViolationsAreCaught(t *testing.T) {
	router := newRouter(t)
	retry := hdr("Retry-After", "2", "X-Backoff-Ms", "1500")
	taskReq := js(wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p"})
	tests := []exchange{
		{"202 without Location", http.MethodPost, "/v2/tasks", taskReq, 202, ctJSON, nil,
			js(wire.AdmissionResponse{TaskID: "t", Streams: wire.TaskStreamURLs("t")})},
		{"202 missing streams", http.MethodPost, "/v2/tasks", taskReq, 202, ctJSON, hdr("Location", "/v2/tasks/t"),
			[]byte(`{"task_id":"t","queue_position":0,"predicted_start_ms":0,"backoff_ms":0}`)},
		{"429 without Retry-After", http.MethodPost, "/v2/tasks", taskReq, 429, ctJSON, hdr("X-Backoff-Ms", "5"),
			rateLimited(wire.CodeAdmissionReject, wire.PolicyReject)},
		{"429 Retry-After 0", http.MethodPost, "/v2/tasks", taskReq, 429, ctJSON, hdr("Retry-After", "0", "X-Backoff-Ms", "5"),
			rateLimited(wire.CodeAdmissionReject, wire.PolicyReject)},
		{"429 without policy label", http.MethodPost, "/v2/tasks", taskReq, 429, ctJSON, retry,
			js(wire.ErrorEnvelope{Code: wire.CodeAdmissionReject, Message: "full", Retriable: ptr(true), RetryAfterMs: ptr[int64](1)})},
		{"429 not retriable", http.MethodPost, "/v2/tasks", taskReq, 429, ctJSON, retry,
			js(wire.ErrorEnvelope{Code: wire.CodeAdmissionReject, Message: "full", Retriable: ptr(false), RetryAfterMs: ptr[int64](1), PolicyLabel: wire.PolicyReject})},
		{"429 wrong code", http.MethodPost, "/v2/tasks", taskReq, 429, ctJSON, retry, rateLimited(wire.CodeInternal, wire.PolicyReject)},
		{"404 with wrong code", http.MethodGet, "/v2/tasks/t", nil, 404, ctJSON, nil, envelope(wire.CodeInternal, "x")},
		{"envelope without message", http.MethodGet, "/v2/tasks/t", nil, 404, ctJSON, nil, []byte(`{"code":"NOT_FOUND"}`)},
		{"envelope with unknown code", http.MethodGet, "/v2/tasks/t", nil, 404, ctJSON, nil, envelope("GONE", "x")},
		{"undocumented status", http.MethodGet, "/v2/tasks/t", nil, 418, ctJSON, nil, envelope(wire.CodeInternal, "x")},
		{"unknown state", http.MethodGet, "/v2/tasks/t", nil, 200, ctJSON, nil,
			[]byte(`{"task_id":"t","state":"paused","model_ref":"m","tokens_out":0,"created_ms":1}`)},
		{"unknown response field", http.MethodGet, "/v2/tasks/t", nil, 200, ctJSON, nil,
			[]byte(`{"task_id":"t","state":"queued","model_ref":"m","tokens_out":0,"created_ms":1,"prompt":"secret"}`)},
		{"session budget as string", http.MethodGet, "/v2/sessions/s", nil, 200, ctJSON, nil,
			[]byte(`{"ttl_ms_remaining":1,"turns":0,"kv_bytes":0,"kv_warmth":false,"tokens_budget_remaining":"unlimited"}`)},
		{"events without Cache-Control", http.MethodGet, "/v2/tasks/t/events", nil, 200, ctSSE, nil, sseBody()},
		{"events as JSON", http.MethodGet, "/v2/tasks/t/events", nil, 200, ctJSON, hdr("Cache-Control", "no-cache"), []byte(`{}`)},
		{"pool list as null", http.MethodGet, "/v2/pools", nil, 200, ctJSON, nil, []byte(`null`)},
		{"pool with bad engine", http.MethodGet, "/v2/pools", nil, 200, ctJSON, nil,
			[]byte(`[{"pool_id":"p","engine":"triton","url":"u","slots_total":1,"slots_free":1,"active_leases":0,"live":true,"ready":true,"draining":false}]`)},
		{"stored model without state", http.MethodGet, "/v2/catalog/models/m", nil, 200, ctJSON, nil, js(catalogModel)},
		{"artifact with bad digest", http.MethodGet, "/v2/artifacts/" + sha, nil, 200, ctJSON, nil,
			js(wire.Artifact{ID: sha, Kind: wire.ArtifactTrace, Digest: sha, CreatedMs: 1, Content: json.RawMessage(`{}`)})},
		{"artifact content not an object", http.MethodGet, "/v2/artifacts/" + sha, nil, 200, ctJSON, nil,
			js(wire.Artifact{ID: sha, Kind: wire.ArtifactTrace, Digest: "sha256:" + sha, CreatedMs: 1, Content: json.RawMessage(`[1]`)})},
		{"v1 error as envelope", http.MethodGet, "/v1/models", nil, 401, ctJSON, nil, envelope(wire.CodeUnauthorized, "x")},
		{"v1 429 without headers", http.MethodPost, "/v1/completions", []byte(`{"model":"m","prompt":"p"}`), 429, ctJSON, nil,
			js(wire.NewOpenAIError(wire.CodeAdmissionReject, "full"))},
		{"model list with null data", http.MethodGet, "/v1/models", nil, 200, ctJSON, nil, []byte(`{"object":"list","data":null}`)},
		{"chunk as completion", http.MethodPost, "/v1/chat/completions", []byte(`{"model":"m","messages":[{"role":"user","content":"x"}]}`), 200, ctJSON, nil,
			js(wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m"})},
	}
	for _, ex := range tests {
		t.Run(ex.name, func(t *testing.T) {
			is := is.New(t)
			is.True(validate(t, router, ex) != nil) // the violation is caught
		})
	}
}

func TestResponseWithoutCorrelationID(t *testing.T) {
	is := is.New(t)
	router := newRouter(t)
	req := httptest.NewRequest(http.MethodGet, serverURL+"/v2/meta/version", nil)
	route, params, err := router.FindRoute(req)
	is.NoErr(err) // documented route
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 200, Header: hdr("Content-Type", ctJSON),
	}
	in.SetBodyBytes(js(wire.Version{APIVersion: wire.APIVersion}))
	is.True(openapi3filter.ValidateResponse(context.Background(), in) != nil) // X-Correlation-Id is required
}

// TestInvalidRequestsAreRefused covers request-side rules of api.md §2.
func TestInvalidRequestsAreRefused(t *testing.T) {
	router := newRouter(t)
	tests := []struct {
		name, method, url, body string
	}{
		{"task id with slash in body", http.MethodPost, "/v2/tasks", `{"task_id":"a/b","workload":"completion","model_ref":"m","prompt":"p"}`},
		{"task id too long", http.MethodPost, "/v2/tasks", `{"task_id":"` + string(bytes.Repeat([]byte("a"), 129)) + `","workload":"completion","model_ref":"m"}`},
		{"unknown workload", http.MethodPost, "/v2/tasks", `{"workload":"chat","model_ref":"m","prompt":"p"}`},
		{"missing model", http.MethodPost, "/v2/tasks", `{"workload":"completion","prompt":"p"}`},
		{"ctx zero", http.MethodPost, "/v2/tasks", `{"workload":"completion","model_ref":"m","prompt":"p","ctx":0}`},
		{"bad placement mode", http.MethodPost, "/v2/tasks", `{"workload":"completion","model_ref":"m","placement":{"mode":"spread"}}`},
		{"bad pool id in path", http.MethodGet, "/v2/pools/a%20b/health", ``},
		{"bad artifact id", http.MethodGet, "/v2/artifacts/ABC", ``},
		{"artifact without content", http.MethodPost, "/v2/artifacts", `{"kind":"plan"}`},
		{"catalog bad digest", http.MethodPost, "/v2/catalog/models", `{"id":"m","digest":"md5:x"}`},
		{"model state unknown", http.MethodPost, "/v2/catalog/models/m/state", `{"state":"Deleted"}`},
		{"chat without messages", http.MethodPost, "/v1/chat/completions", `{"model":"m"}`},
		{"chat stop number", http.MethodPost, "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":5}`},
		{"completion token prompt", http.MethodPost, "/v1/completions", `{"model":"m","prompt":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			req := httptest.NewRequest(tt.method, serverURL+tt.url, bytes.NewReader([]byte(tt.body)))
			req.Header.Set("Content-Type", ctJSON)
			route, params, err := router.FindRoute(req)
			is.NoErr(err) // the route is documented
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			is.True(openapi3filter.ValidateRequest(context.Background(), in) != nil) // the request is refused
		})
	}
}

// TestFrameSchemas validates the SSE frame payloads of package wire against
// the frame schemas of the document.
func TestFrameSchemas(t *testing.T) {
	doc := load(t)
	tests := []struct {
		schema string
		data   []byte
		valid  bool
	}{
		{"StartedFrame", js(wire.StartedFrame{QueuePosition: 3, PredictedStartMs: 120}), true},
		{"StartedFrame", js(wire.StartedFrame{PoolID: "p0", Engine: wire.EngineOllama}), true},
		{"MetricsFrame", js(wire.MetricsFrame{QueuePosition: ptr(1), QueueDepth: 4}), true},
		{"MetricsFrame", js(wire.MetricsFrame{QueueDepth: 0, OnTimeProbability: ptr(0.9), KVWarmth: true, TokensBudgetRemaining: ptr[int64](10),
			TimeBudgetRemainingMs: ptr[int64](5), CostBudgetRemaining: ptr(0.1), Human: "decoding", Prep: &wire.PrepProgress{Step: "model_fetch", Progress: 0.5}}), true},
		{"TokenFrame", wire.TokenFrame{T: "<&>\u2028", I: 7}.AppendJSON(nil), true},
		{"EndFrame", wire.EndFrame{TokensOut: 0, Canceled: true}.AppendJSON(nil), true},
		{"EndFrame", wire.EndFrame{TokensOut: 2, DecodeMs: 9, FinishReason: wire.FinishShutdown, Canceled: true}.AppendJSON(nil), true},
		{"ErrorFrame", wire.ErrorFrame{Code: wire.CodeQueueFullDropLRU, Message: "evicted"}.AppendJSON(nil), true},
		{"ErrorFrame", wire.ErrorFrame{Code: wire.CodeDecodeTimeout, Message: "no token", Engine: wire.EngineVLLM}.AppendJSON(nil), true},
		{"ChatCompletionChunk", js(wire.ChatCompletionChunk{ID: "c", Object: wire.ObjectChatCompletionChunk, Model: "m", Usage: &wire.Usage{}}), true},
		{"CompletionChunk", js(wire.CompletionChunk{ID: "c", Object: wire.ObjectTextCompletion, Model: "m",
			Choices: []wire.CompletionChoice{{Text: "x"}}}), true},
		{"ErrorFrame", wire.ErrorFrame{Code: wire.CodeNotFound, Message: "not an in-stream code"}.AppendJSON(nil), false},
		{"TokenFrame", []byte(`{"t":"x","i":-1}`), false},
		{"EndFrame", []byte(`{"tokens_out":1,"decode_ms":1}`), false},
		{"MetricsFrame", []byte(`{"queue_depth":1,"kv_warmth":false,"on_time_probability":1.5}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			is := is.New(t)
			var v any
			is.NoErr(json.Unmarshal(tt.data, &v)) // valid JSON
			err := doc.Components.Schemas[tt.schema].Value.VisitJSON(v, openapi3.VisitAsResponse())
			is.Equal(err == nil, tt.valid) // the frame conforms exactly when it should
		})
	}
}
