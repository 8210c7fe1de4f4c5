package openapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

const sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func ptr[T any](v T) *T { return &v }

func envelope(code wire.ErrorCode, msg string) []byte {
	return js(wire.ErrorEnvelope{Code: code, Message: msg})
}

func rateLimited(code wire.ErrorCode, label wire.PolicyLabel) []byte {
	return js(wire.ErrorEnvelope{Code: code, Message: "try later", Retriable: ptr(true), RetryAfterMs: ptr[int64](1500), PolicyLabel: label})
}

func sseBody() []byte {
	b := []byte("id: 1\nevent: started\ndata: ")
	b = append(b, js(wire.StartedFrame{QueuePosition: 0, PredictedStartMs: 0, PoolID: "p0", Engine: wire.EngineLlamaCpp})...)
	b = append(b, "\n\nid: 2\nevent: token\ndata: "...)
	b = wire.TokenFrame{T: "Hi", I: 0}.AppendJSON(b)
	b = append(b, "\n\nid: 3\nevent: end\ndata: "...)
	b = wire.EndFrame{TokensOut: 1, DecodeMs: 3, FinishReason: wire.FinishStop}.AppendJSON(b)
	return append(b, "\n\n"...)
}

func chunkStream() []byte {
	c := wire.ChatCompletionChunk{ID: "chatcmpl-1", Object: wire.ObjectChatCompletionChunk, Created: 1, Model: "m",
		Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Role: wire.RoleAssistant, Content: "Hi"}}}}
	b := append([]byte("data: "), c.AppendJSON(nil)...)
	return append(b, "\n\ndata: [DONE]\n\n"...)
}

var (
	taskReq = wire.TaskRequest{TaskID: "t-1", SessionID: "s-1", Workload: wire.WorkloadCompletion, ModelRef: "org/llama-3-8b",
		Engine: wire.EngineLlamaCpp, Prompt: "Hello", Ctx: ptr(4096), MaxTokens: ptr(64), Priority: wire.PriorityBatch,
		DeadlineMs: ptr[int64](30000), Seed: ptr[int64](42), Determinism: wire.DeterminismStrict, SamplerProfileVersion: "v1",
		Temperature: ptr(0.7), TopP: ptr(0.9), Stop: wire.StopSequences{"\n"}, ExpectedTokens: ptr(50), KVHint: wire.KVHintReuse,
		Placement: &wire.PlacementRequest{Mode: wire.PlacementPin, PinPoolID: "p0", PreferPools: []string{"p1"},
			AvoidPools: []string{"p2"}, RequireDeviceMask: "0,1", AllowFallback: ptr(false)}}
	pool = wire.Pool{PoolID: "gpu-1:0", NodeID: "gpu-1", Engine: wire.EngineLlamaCpp, URL: "http://127.0.0.1:8081",
		Models: []string{"org/llama-3-8b"}, SlotsTotal: 4, SlotsFree: 3, ActiveLeases: 1, CtxMax: 8192, DeviceMask: "0",
		EngineVersion: "b4000", Live: true, Ready: true, LastError: "reload failed"}
	catalogModel = wire.CatalogModel{ID: "org/llama-3-8b", Digest: "sha256:" + sha, SourceURL: "file:///m.gguf", Tags: []string{"chat"},
		Manifests:   []wire.Manifest{{Digest: "sha256:" + sha, SizeBytes: 10}},
		Signatures:  []wire.Signature{{Signer: "acme", Algo: "ed25519", Verified: true, TimestampMs: 1}},
		SBOM:        &wire.SBOM{URI: "https://x/sbom.json", Digest: "sha256:" + sha},
		TrustPolicy: &wire.TrustPolicy{Mode: wire.TrustStrict, AllowedRegistries: []string{"hf.co"}, RequireSignature: true, RequireSBOM: true, CARoots: []string{"pem"}}}
	storedModel = func() wire.CatalogModel {
		m := catalogModel
		m.State, m.CreatedMs, m.Verified, m.LastVerifiedMs, m.VerifyReason = wire.ModelActive, 5, ptr(false), ptr[int64](6), "digest mismatch"
		return m
	}()
	retiredModel = func() wire.CatalogModel {
		m := storedModel
		m.State, m.RetireDeadlineMs = wire.ModelRetired, 60_005
		return m
	}()
)

func conforming() []exchange {
	budget := hdr("X-Budget-Tokens-Remaining", "900", "X-Budget-Time-Remaining-Ms", "5000", "X-Budget-Cost-Remaining", "0.25")
	accepted := hdr("Location", "/v2/tasks/t-1", "X-Budget-Tokens-Remaining", "900")
	retry := hdr("Retry-After", "2", "X-Backoff-Ms", "1500")
	usage := &wire.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}
	stop := "stop"
	return []exchange{
		{"admit", http.MethodPost, "/v2/tasks", js(taskReq), 202, ctJSON, accepted,
			js(wire.AdmissionResponse{TaskID: "t-1", QueuePosition: 2, PredictedStartMs: 350, BackoffMs: 0, Streams: wire.TaskStreamURLs("t-1"),
				Preparation: &wire.Preparation{Steps: []wire.PreparationStep{{Kind: wire.PrepModelFetch, Description: "pull", EstimatedMs: ptr[int64](10)}}}})},
		{"admit minimal", http.MethodPost, "/v2/tasks", js(wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p"}), 202, ctJSON,
			hdr("Location", "/v2/tasks/01JD7Q3W0000000000000000AB"), js(wire.AdmissionResponse{TaskID: "01JD7Q3W0000000000000000AB", Streams: wire.TaskStreamURLs("01JD7Q3W0000000000000000AB")})},
		{"admit deadline unmet", http.MethodPost, "/v2/tasks", js(taskReq), 400, ctJSON, nil, envelope(wire.CodeDeadlineUnmet, "deadline cannot be met")},
		{"admit untrusted", http.MethodPost, "/v2/tasks", js(taskReq), 400, ctJSON, nil, envelope(wire.CodeUntrustedArtifact, "model not verified")},
		{"admit unauthorized", http.MethodPost, "/v2/tasks", js(taskReq), 401, ctJSON, nil, envelope(wire.CodeUnauthorized, "bearer token required")},
		{"admit forbidden", http.MethodPost, "/v2/tasks", js(taskReq), 403, ctJSON, nil, envelope(wire.CodeForbidden, "wrong token")},
		{"admit conflict", http.MethodPost, "/v2/tasks", js(taskReq), 409, ctJSON, nil, envelope(wire.CodeConflict, "task_id reused with a different body")},
		{"admit too large", http.MethodPost, "/v2/tasks", js(taskReq), 413, ctJSON, nil, envelope(wire.CodePayloadTooLarge, "body over 1 MiB")},
		{"admit reject", http.MethodPost, "/v2/tasks", js(taskReq), 429, ctJSON, retry, rateLimited(wire.CodeAdmissionReject, wire.PolicyReject)},
		{"admit drop-lru", http.MethodPost, "/v2/tasks", js(taskReq), 429, ctJSON, retry, rateLimited(wire.CodeQueueFullDropLRU, wire.PolicyDropLRU)},
		{"admit budget", http.MethodPost, "/v2/tasks", js(taskReq), 429, ctJSON, hdr("Retry-After", "1", "X-Backoff-Ms", "0", "X-Budget-Tokens-Remaining", "0"),
			rateLimited(wire.CodeBudgetExhausted, wire.PolicyBudget)},
		{"admit internal", http.MethodPost, "/v2/tasks", js(taskReq), 500, ctJSON, nil, envelope(wire.CodeInternal, "internal error")},
		{"admit unavailable", http.MethodPost, "/v2/tasks", js(taskReq), 503, ctJSON, nil,
			js(wire.ErrorEnvelope{Code: wire.CodePoolUnavailable, Message: "model org/x is retired", Engine: wire.EngineVLLM})},
		{"task status", http.MethodGet, "/v2/tasks/t-1", nil, 200, ctJSON, nil,
			js(wire.TaskStatus{TaskID: "t-1", SessionID: "s-1", State: wire.TaskFailed, ModelRef: "org/m", Engine: wire.EngineVLLM,
				PoolID: "p0", NodeID: "n0", TokensOut: 3, CreatedMs: 1, StartedMs: ptr[int64](2), EndedMs: ptr[int64](3),
				Error: &wire.TaskError{Code: wire.CodeWorkerReset, Message: "engine vanished", Engine: wire.EngineVLLM}, TranscriptArtifactID: sha})},
		{"task queued", http.MethodGet, "/v2/tasks/t-1", nil, 200, ctJSON, nil,
			js(wire.TaskStatus{TaskID: "t-1", State: wire.TaskQueued, ModelRef: "m", QueuePosition: ptr(0), CreatedMs: 1})},
		{"task bad id", http.MethodGet, "/v2/tasks/t-1", nil, 400, ctJSON, nil, envelope(wire.CodeInvalidParams, "id: invalid")},
		{"task unknown", http.MethodGet, "/v2/tasks/t-1", nil, 404, ctJSON, nil, envelope(wire.CodeNotFound, "unknown task")},
		{"events", http.MethodGet, "/v2/tasks/t-1/events?verbose=true", nil, 200, ctSSE, hdr("Cache-Control", "no-cache"), sseBody()},
		{"events budget", http.MethodGet, "/v2/tasks/t-1/events", nil, 200, ctSSE, func() http.Header { budget.Set("Cache-Control", "no-cache"); return budget }(), sseBody()},
		{"events gone", http.MethodGet, "/v2/tasks/t-1/events", nil, 404, ctJSON, nil, envelope(wire.CodeNotFound, "unknown task")},
		{"cancel", http.MethodPost, "/v2/tasks/t-1/cancel", nil, 204, "", nil, nil},
		{"cancel unknown", http.MethodPost, "/v2/tasks/t-1/cancel", nil, 404, ctJSON, nil, envelope(wire.CodeNotFound, "unknown task")},
		{"session", http.MethodGet, "/v2/sessions/s-1", nil, 200, ctJSON, nil,
			js(wire.Session{SessionID: "s-1", TTLMsRemaining: 1000, Turns: 2, KVBytes: 10, KVWarmth: true, LastPoolID: "p0",
				TokensBudgetRemaining: ptr[int64](0), TimeBudgetRemainingMs: ptr[int64](10), CostBudgetRemaining: ptr(0.5)})},
		{"session unlimited", http.MethodGet, "/v2/sessions/s-1", nil, 200, ctJSON, nil, js(wire.Session{TTLMsRemaining: 1})},
		{"session delete", http.MethodDelete, "/v2/sessions/s-1", nil, 204, "", nil, nil},
		{"register", http.MethodPost, "/v2/nodes/register", js(wire.NodeRegisterRequest{NodeID: "gpu-1", MachineID: "m", Address: "http://10.0.0.5:9300",
			Version: "0.1.0", Capabilities: wire.NodeCapabilities{GPUs: []wire.GPU{{Index: 0, Name: "RTX 4090", VRAMTotalBytes: 1 << 34}}, CPUCores: 16},
			Pools: []wire.PoolRegistration{{PoolID: "gpu-1:0", Engine: wire.EngineLlamaCpp, URL: "http://127.0.0.1:8081", Models: []string{"org/m"},
				SlotsTotal: 4, CtxMax: 8192, DeviceMask: "0,1"}}}), 200, ctJSON, nil,
			js(wire.NodeRegisterResponse{Success: true, Message: "registered", NodeID: "gpu-1", HeartbeatIntervalMs: 5000})},
		{"register empty", http.MethodPost, "/v2/nodes/register", js(wire.NodeRegisterRequest{NodeID: "n"}), 200, ctJSON, nil,
			js(wire.NodeRegisterResponse{Success: true, NodeID: "n", HeartbeatIntervalMs: 5000})},
		{"heartbeat", http.MethodPost, "/v2/nodes/gpu-1/heartbeat", js(wire.HeartbeatRequest{TimestampMs: 1, Pools: []wire.PoolHeartbeat{
			{PoolID: "gpu-1:0", Ready: true, SlotsFree: ptr(0), SlotsTotal: 4, VRAMFreeBytes: ptr[int64](1), ModelsAvailable: []string{"org/m"},
				EngineVersion: "b1", LastError: "x"}, {PoolID: "p"}}}), 200, ctJSON, nil, js(wire.HeartbeatResponse{Success: true, NextHeartbeatMs: 5000})},
		{"heartbeat unknown", http.MethodPost, "/v2/nodes/gpu-1/heartbeat", js(wire.HeartbeatRequest{TimestampMs: 1}), 404, ctJSON, nil,
			envelope(wire.CodeNotFound, "unknown node")},
		{"node delete", http.MethodDelete, "/v2/nodes/gpu-1", nil, 204, "", nil, nil},
		{"nodes", http.MethodGet, "/v2/nodes", nil, 200, ctJSON, nil, js([]wire.Node{{NodeID: "gpu-1", Address: "", Status: wire.NodeOffline,
			LastHeartbeatMs: 1, Capabilities: &wire.NodeCapabilities{CPUCores: 8}, Pools: []wire.Pool{pool}}})},
		{"nodes empty", http.MethodGet, "/v2/nodes", nil, 200, ctJSON, nil, []byte("[]")},
		{"node", http.MethodGet, "/v2/nodes/gpu-1", nil, 200, ctJSON, nil, js(wire.Node{NodeID: "gpu-1", Status: wire.NodeOnline})},
		{"pools", http.MethodGet, "/v2/pools", nil, 200, ctJSON, nil, js([]wire.Pool{pool, {PoolID: "local-0", Engine: wire.EngineOllama, URL: "u"}})},
		{"pool health", http.MethodGet, "/v2/pools/gpu-1:0/health", nil, 200, ctJSON, nil, js(wire.PoolHealth{Live: true, Ready: true,
			Metrics: wire.PoolHealthMetrics{SlotsTotal: 4, SlotsFree: 2, ActiveLeases: 2, QueueDepth: 7, TokensPerS: 48.5}, LastError: "x"})},
		{"drain", http.MethodPost, "/v2/pools/gpu-1:0/drain", js(wire.DrainRequest{DeadlineMs: 10000}), 202, "", nil, nil},
		{"reload", http.MethodPost, "/v2/pools/gpu-1:0/reload", js(wire.ReloadRequest{NewModelRef: "org/qwen"}), 202, "", nil, nil},
		{"reload running", http.MethodPost, "/v2/pools/gpu-1:0/reload", js(wire.ReloadRequest{NewModelRef: "org/qwen"}), 409, ctJSON, nil,
			envelope(wire.CodeConflict, "a reload is running")},
		{"purge", http.MethodPost, "/v2/pools/gpu-1:0/purge", js(wire.PurgeRequest{PurgeModels: []string{"a"}, DrainFirst: true}), 202, "", nil, nil},
		{"catalog create", http.MethodPost, "/v2/catalog/models", js(catalogModel), 201, ctJSON, nil, js(storedModel)},
		{"catalog create no id", http.MethodPost, "/v2/catalog/models", js(catalogModel), 400, ctJSON, nil, envelope(wire.CodeInvalidParams, "id required")},
		{"catalog list", http.MethodGet, "/v2/catalog/models", nil, 200, ctJSON, nil,
			js([]wire.CatalogModel{storedModel, {ID: "m", Digest: "sha256:" + sha, State: wire.ModelRetired, CreatedMs: 1}})},
		{"catalog get encoded", http.MethodGet, "/v2/catalog/models/org%2Fllama-3-8b", nil, 200, ctJSON, nil, js(storedModel)},
		{"catalog get plain", http.MethodGet, "/v2/catalog/models/llama-3-8b", nil, 404, ctJSON, nil, envelope(wire.CodeNotFound, "unknown model")},
		{"catalog delete", http.MethodDelete, "/v2/catalog/models/org%2Fm", nil, 204, "", nil, nil},
		{"catalog verify", http.MethodPost, "/v2/catalog/models/org%2Fllama-3-8b/verify", nil, 202, ctJSON, nil, js(storedModel)},
		{"catalog state", http.MethodPost, "/v2/catalog/models/org%2Fllama-3-8b/state", js(wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: ptr[int64](60000)}), 202, ctJSON, nil, js(retiredModel)},
		{"availability", http.MethodGet, "/v2/catalog/availability", nil, 200, ctJSON, nil,
			js([]wire.Availability{{ModelID: "org/m", Pools: []wire.AvailabilityPool{{PoolID: "p", NodeID: "n", Ready: true, SlotsFree: 3}}}, {ModelID: "x"}})},
		{"artifact create", http.MethodPost, "/v2/artifacts", js(wire.ArtifactCreateRequest{Kind: wire.ArtifactPlan,
			Content: json.RawMessage(`{"steps":[1,{"a":null}]}`), Tags: []string{"x"}, Parent: sha, Metadata: json.RawMessage(`{"k":1}`)}), 201, ctJSON, nil,
			js(wire.ArtifactCreated{ID: sha, Kind: wire.ArtifactPlan, Digest: "sha256:" + sha, CreatedMs: 9, Tags: []string{"x"}})},
		{"artifact too large", http.MethodPost, "/v2/artifacts", js(wire.ArtifactCreateRequest{Kind: wire.ArtifactOther, Content: json.RawMessage(`{}`)}),
			413, ctJSON, nil, envelope(wire.CodePayloadTooLarge, "body over 8 MiB")},
		{"artifact get", http.MethodGet, "/v2/artifacts/" + sha, nil, 200, ctJSON, nil, js(wire.Artifact{ID: sha, Kind: wire.ArtifactTrace,
			Digest: "sha256:" + sha, CreatedMs: 9, Content: json.RawMessage(`{"frames":[]}`), Tags: []string{wire.TagSSE, wire.TagTaskPrefix + "t-1"},
			Metadata: js(wire.TranscriptMetadata{Engine: wire.EngineLlamaCpp, PoolID: "p", ModelRef: "org/m"})})},
		{"capabilities", http.MethodGet, "/v2/meta/capabilities", nil, 200, ctJSON, nil, js(wire.Capabilities{APIVersion: wire.APIVersion,
			Engines: []wire.EngineCapability{{Engine: wire.EngineLlamaCpp, CtxMax: 8192, SupportedWorkloads: []wire.Workload{wire.WorkloadCompletion},
				Concurrency: 4, Features: []string{"seed"}, RateLimits: map[string]float64{"requests_per_s": 10}}}})},
		{"capabilities none", http.MethodGet, "/v2/meta/capabilities", nil, 200, ctJSON, nil, js(wire.Capabilities{APIVersion: wire.APIVersion})},
		{"version", http.MethodGet, "/v2/meta/version", nil, 200, ctJSON, nil,
			js(wire.Version{APIVersion: wire.APIVersion, BuildCommit: "abc", BuildTime: "2025-01-01T00:00:00Z", GoVersion: "go1.26.8"})},
		{"healthz json", http.MethodGet, "/healthz", nil, 200, ctJSON, nil, []byte(`{"status":"ok"}`)},
		{"healthz text", http.MethodGet, "/healthz", nil, 200, "text/plain; charset=utf-8", nil, []byte("ok\n")},
		{"readyz", http.MethodGet, "/readyz", nil, 200, ctJSON, nil, []byte(`{"status":"ready"}`)},
		{"readyz down", http.MethodGet, "/readyz", nil, 503, ctJSON, nil, []byte(`{"status":"shutting down"}`)},
		{"readyz envelope", http.MethodGet, "/readyz", nil, 503, ctJSON, nil, envelope(wire.CodePoolUnavailable, "shutting down")},
		{"metrics", http.MethodGet, "/metrics", nil, 200, "text/plain; version=0.0.4; charset=utf-8", nil, []byte("orchd_nodes_online 0\n")},
		{"metrics unauthorized", http.MethodGet, "/metrics", nil, 401, ctJSON, nil, envelope(wire.CodeUnauthorized, "bearer token required")},
		{"chat", http.MethodPost, "/v1/chat/completions", []byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},
			{"role":"assistant","content":null}],"stop":null,"tools":[],"stream_options":{"include_usage":true}}`), 200, ctJSON, nil,
			js(wire.ChatCompletion{ID: "chatcmpl-1", Object: wire.ObjectChatCompletion, Created: 1, Model: "m",
				Choices: []wire.ChatChoice{{Message: wire.ChatMessage{Role: wire.RoleAssistant, Content: "Hi"}, FinishReason: "stop"}}, Usage: usage})},
		{"chat stream", http.MethodPost, "/v1/chat/completions", js(wire.ChatCompletionRequest{Model: "m", Messages: []wire.ChatMessage{{Role: "user", Content: "hi"}},
			Stream: true, Stop: wire.StopSequences{"x"}, MaxTokens: ptr(4), Seed: ptr[int64](1), N: ptr(1)}), 200, ctSSE, nil, chunkStream()},
		{"chat rate limited", http.MethodPost, "/v1/chat/completions", []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), 429, ctJSON, retry,
			js(wire.NewOpenAIError(wire.CodeAdmissionReject, "queue full"))},
		{"chat engine error", http.MethodPost, "/v1/chat/completions", []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), 502, ctJSON, nil,
			js(wire.NewOpenAIError(wire.CodeEngineError, "engine failed"))},
		{"completion", http.MethodPost, "/v1/completions", []byte(`{"model":"m","prompt":["a","b"],"stop":"\n"}`), 200, ctJSON, nil,
			js(wire.Completion{ID: "cmpl-1", Object: wire.ObjectTextCompletion, Created: 1, Model: "m",
				Choices: []wire.CompletionChoice{{Text: "x", FinishReason: &stop}}, Usage: usage})},
		{"completion not found", http.MethodPost, "/v1/completions", js(wire.CompletionRequest{Model: "m", Prompt: wire.PromptList{"a"}}), 404, ctJSON, nil,
			js(wire.NewOpenAIError(wire.CodeNotFound, "unknown model"))},
		{"models", http.MethodGet, "/v1/models", nil, 200, ctJSON, nil, js(wire.ModelList{Object: wire.ObjectList,
			Data: []wire.Model{{ID: "org/m", Object: wire.ObjectModel, Created: 1, OwnedBy: "orchestratord"}}})},
		{"models empty", http.MethodGet, "/v1/models", nil, 200, ctJSON, nil, js(wire.ModelList{Object: wire.ObjectList})},
		{"models unauthorized", http.MethodGet, "/v1/models", nil, 401, ctJSON, nil, js(wire.NewOpenAIError(wire.CodeUnauthorized, "bearer token required"))},
	}
}

func TestConformingExchanges(t *testing.T) {
	router := newRouter(t)
	for _, ex := range conforming() {
		t.Run(ex.name, func(t *testing.T) {
			is := is.New(t)
			is.NoErr(validate(t, router, ex)) // the response conforms to the document
		})
	}
}
