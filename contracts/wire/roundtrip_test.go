package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// TestRoundTrips decodes representative payloads of api.md strictly (every
// field must be a field of the type) and checks that encoding gives the same
// JSON back.
func TestRoundTrips(t *testing.T) {
	tests := []struct {
		name   string
		sample string
		into   any
	}{
		{"error envelope 400", `{"code":"INVALID_PARAMS","message":"ctx: must be at least 1"}`, &wire.ErrorEnvelope{}},
		{"error envelope 429", `{"code":"ADMISSION_REJECT","message":"queue full","retriable":true,
			"retry_after_ms":1500,"policy_label":"reject"}`, &wire.ErrorEnvelope{}},
		{"error envelope engine", `{"code":"ENGINE_ERROR","message":"engine said no","engine":"tgi","retriable":false}`, &wire.ErrorEnvelope{}},
		{"session limited", `{"session_id":"s","ttl_ms_remaining":500000,"turns":3,"kv_bytes":1048576,"kv_warmth":true,
			"last_pool_id":"p0","tokens_budget_remaining":100,"time_budget_remaining_ms":2000,"cost_budget_remaining":0.5}`, &wire.Session{}},
		{"session unlimited", `{"ttl_ms_remaining":600000,"turns":0,"kv_bytes":0,"kv_warmth":false}`, &wire.Session{}},
		{"node register", `{"node_id":"gpu-1","machine_id":"m-1","address":"http://10.0.0.5:9300","version":"0.1.0",
			"capabilities":{"gpus":[{"index":0,"name":"RTX 4090","vram_total_bytes":25757220864}],"cpu_cores":16},
			"pools":[{"pool_id":"gpu-1:0","engine":"llamacpp","url":"http://127.0.0.1:8081","models":["llama-3-8b"],
			"slots_total":4,"ctx_max":8192,"device_mask":"0,1"}]}`, &wire.NodeRegisterRequest{}},
		{"node register no address", `{"node_id":"n","address":"","capabilities":{"cpu_cores":4}}`, &wire.NodeRegisterRequest{}},
		{"node register response", `{"success":true,"message":"registered","node_id":"gpu-1","heartbeat_interval_ms":5000}`, &wire.NodeRegisterResponse{}},
		{"heartbeat", `{"timestamp_ms":1700000000000,"pools":[{"pool_id":"gpu-1:0","ready":true,"draining":false,
			"slots_free":0,"slots_total":4,"vram_free_bytes":1024,"models_available":["llama-3-8b"],"engine_version":"b4000",
			"last_error":"reload failed"}]}`, &wire.HeartbeatRequest{}},
		{"heartbeat unreported slots", `{"timestamp_ms":1,"pools":[{"pool_id":"p","ready":false,"draining":true,
			"slots_total":2}]}`, &wire.HeartbeatRequest{}},
		{"heartbeat response", `{"success":true,"next_heartbeat_ms":5000}`, &wire.HeartbeatResponse{}},
		{"node", `{"node_id":"gpu-1","address":"","status":"offline","last_heartbeat_ms":17,
			"capabilities":{"cpu_cores":8},
			"pools":[{"pool_id":"p","node_id":"gpu-1","engine":"vllm","url":"http://h:8000","models":["m"],"slots_total":8,
			"slots_free":8,"active_leases":0,"live":false,"ready":false,"draining":false}]}`, &wire.Node{}},
		{"pool", `{"pool_id":"local-0","engine":"llamacpp","url":"http://127.0.0.1:8081","models":["llama-3-8b"],
			"slots_total":4,"slots_free":1,"active_leases":3,"ctx_max":8192,"device_mask":"0","engine_version":"b1",
			"live":true,"ready":true,"draining":false,"last_error":"reload to x failed: cannot switch models"}`, &wire.Pool{}},
		{"pool health", `{"live":true,"ready":true,"draining":false,"metrics":{"slots_total":4,"slots_free":2,
			"active_leases":2,"queue_depth":7,"tokens_per_s":48.5},"last_error":"x"}`, &wire.PoolHealth{}},
		{"drain", `{"deadline_ms":10000}`, &wire.DrainRequest{}},
		{"reload", `{"new_model_ref":"org/qwen"}`, &wire.ReloadRequest{}},
		{"purge", `{"purge_models":["a","b"],"drain_first":true,"force":false}`, &wire.PurgeRequest{}},
		{"catalog create", `{"id":"org/llama-3-8b","digest":"sha256:` + emptySHA + `","source_url":"file:///models/l.gguf",
			"tags":["chat"],"manifests":[{"digest":"sha256:` + emptySHA + `","size_bytes":4661211808}],
			"signatures":[{"signer":"acme","algo":"ed25519","verified":true,"timestamp_ms":1}],
			"sbom":{"uri":"https://x/sbom.json","digest":"sha256:` + emptySHA + `"},
			"trust_policy":{"mode":"strict","allowed_registries":["hf.co"],"require_signature":true,
			"require_sbom":true,"ca_roots":["pem"]}}`, &wire.CatalogModel{}},
		{"catalog stored", `{"id":"m","digest":"sha256:` + emptySHA + `","state":"Retired","created_ms":5,
			"verified":false,"last_verified_ms":6,"verify_reason":"digest mismatch"}`, &wire.CatalogModel{}},
		{"model state", `{"state":"Retired","deadline_ms":60000}`, &wire.ModelStateRequest{}},
		{"availability", `{"model_id":"m","pools":[{"pool_id":"p","node_id":"n","ready":true,"slots_free":3}]}`, &wire.Availability{}},
		{"artifact create", `{"kind":"plan","content":{"steps":[1,2,{"a":null}]},"tags":["x"],"parent":"` + emptySHA + `",
			"metadata":{"k":"v","n":1}}`, &wire.ArtifactCreateRequest{}},
		{"artifact created", `{"id":"` + emptySHA + `","kind":"trace","digest":"sha256:` + emptySHA + `",
			"created_ms":9,"tags":["sse","task:t"]}`, &wire.ArtifactCreated{}},
		{"artifact", `{"id":"a","kind":"trace","digest":"sha256:a","created_ms":9,"content":{"frames":[]},
			"tags":["sse"],"metadata":{"engine":"llamacpp","pool_id":"p"}}`, &wire.Artifact{}},
		{"transcript metadata", `{"engine":"llamacpp","engine_version":"b1","pool_id":"p","node_id":"n","model_ref":"m"}`, &wire.TranscriptMetadata{}},
		{"capabilities", `{"api_version":"2.0.0","engines":[{"engine":"llamacpp","ctx_max":8192,
			"supported_workloads":["completion"],"concurrency":4,"features":["seed"],"rate_limits":{"requests_per_s":10}}]}`, &wire.Capabilities{}},
		{"capabilities empty", `{"api_version":"2.0.0"}`, &wire.Capabilities{}},
		{"version", `{"api_version":"2.0.0","build_commit":"abc123","build_time":"2025-01-01T00:00:00Z","go_version":"go1.26.8"}`, &wire.Version{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			decodeStrict(t, tt.sample, tt.into)
			out, err := json.Marshal(tt.into)
			is.NoErr(err)                                            // encodes
			is.Equal(generic(t, out), generic(t, []byte(tt.sample))) // same JSON back
		})
	}
}

// emptySHA is the SHA-256 of the empty string, a well-formed artifact id.
const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestOmitEmpty(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want map[string]bool
	}{
		{"envelope", wire.ErrorEnvelope{Code: wire.CodeNotFound, Message: "unknown task"},
			map[string]bool{"code": true, "message": true}},
		{"envelope retriable false", wire.ErrorEnvelope{Code: wire.CodeInternal, Message: "x", Retriable: new(bool)},
			map[string]bool{"code": true, "message": true, "retriable": true}},
		{"session unlimited", wire.Session{},
			map[string]bool{"ttl_ms_remaining": true, "turns": true, "kv_bytes": true, "kv_warmth": true}},
		{"session zero budget", wire.Session{TokensBudgetRemaining: new(int64)},
			map[string]bool{"ttl_ms_remaining": true, "turns": true, "kv_bytes": true, "kv_warmth": true, "tokens_budget_remaining": true}},
		{"static pool", wire.Pool{PoolID: "p", Engine: wire.EngineOllama, URL: "u"},
			map[string]bool{"pool_id": true, "engine": true, "url": true, "slots_total": true, "slots_free": true,
				"active_leases": true, "live": true, "ready": true, "draining": true}},
		{"catalog model", wire.CatalogModel{ID: "m", Digest: "d"}, map[string]bool{"id": true, "digest": true}},
		{"artifact created", wire.ArtifactCreated{ID: "i", Kind: wire.ArtifactOther, Digest: "d", CreatedMs: 1},
			map[string]bool{"id": true, "kind": true, "digest": true, "created_ms": true}},
		{"node", wire.Node{NodeID: "n", Status: wire.NodeOnline},
			map[string]bool{"node_id": true, "address": true, "status": true, "last_heartbeat_ms": true}},
		{"pool heartbeat unreported", wire.PoolHeartbeat{PoolID: "p"},
			map[string]bool{"pool_id": true, "ready": true, "draining": true, "slots_total": true}},
		{"empty model list", wire.ModelList{Object: wire.ObjectList}, map[string]bool{"object": true, "data": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			out, err := json.Marshal(tt.v)
			is.NoErr(err)                   // encodes
			is.Equal(keys(t, out), tt.want) // exactly the fields that apply
		})
	}
}

func TestErrorEnvelopeError(t *testing.T) {
	is := is.New(t)
	env := &wire.ErrorEnvelope{Code: wire.CodeEngineError, Message: "boom", Engine: wire.EngineVLLM}
	is.Equal(env.Error(), "ENGINE_ERROR: boom (engine vllm)") // names code, message and engine
	is.Equal(env.HTTPStatus(), 502)                           // status of its code
	plain := &wire.ErrorEnvelope{Code: wire.CodeNotFound, Message: "unknown task"}
	is.Equal(plain.Error(), "NOT_FOUND: unknown task") // no engine part
}
