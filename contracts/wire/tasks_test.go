package wire_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

func ptr[T any](v T) *T { return &v }

func TestTaskRequestRoundTrip(t *testing.T) {
	is := is.New(t)
	sample := `{"task_id":"t-1","session_id":"s-1","workload":"completion","model_ref":"org/llama-3-8b",
		"engine":"llamacpp","prompt":"Hello","ctx":4096,"max_tokens":64,"priority":"batch","deadline_ms":30000,
		"seed":42,"determinism":"strict","sampler_profile_version":"v1","temperature":0.7,"top_p":0.9,
		"stop":["\n\n"],"expected_tokens":50,"kv_hint":"reuse",
		"placement":{"mode":"prefer","pin_pool_id":"p0","prefer_pools":["p1"],"avoid_pools":["p2"],
		"require_device_mask":"0,1","allow_fallback":false}}`
	var req wire.TaskRequest
	decodeStrict(t, sample, &req)
	is.Equal(*req.Ctx, 4096)                                      // ctx decoded
	is.Equal(req.Stop, wire.StopSequences{"\n\n"})                // stop decoded
	is.Equal(req.Placement.EffectiveMode(), wire.PlacementPrefer) // placement mode decoded
	is.True(!req.Placement.FallbackAllowed())                     // allow_fallback false kept
	is.NoErr(req.Validate())                                      // the sample is valid
	out, err := json.Marshal(req)
	is.NoErr(err)                                         // encodes
	is.Equal(generic(t, out), generic(t, []byte(sample))) // round trip keeps every field
}

func TestTaskRequestOmitsAbsent(t *testing.T) {
	is := is.New(t)
	out, err := json.Marshal(wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p"})
	is.NoErr(err)                                                                                // encodes
	is.Equal(keys(t, out), map[string]bool{"workload": true, "model_ref": true, "prompt": true}) // only what was set

	zero, err := json.Marshal(wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p",
		Ctx: ptr(0), Seed: ptr[int64](0), Temperature: ptr(0.0)})
	is.NoErr(err)                         // encodes
	is.True(keys(t, zero)["ctx"])         // an explicit 0 is sent
	is.True(keys(t, zero)["seed"])        // an explicit seed 0 is sent
	is.True(keys(t, zero)["temperature"]) // an explicit temperature 0 is sent
}

func TestTaskRequestDefaults(t *testing.T) {
	is := is.New(t)
	var req wire.TaskRequest
	is.Equal(req.EffectivePriority(), wire.PriorityInteractive) // interactive by default
	is.Equal(req.Placement.EffectiveMode(), wire.PlacementAuto) // auto without placement
	is.True(req.Placement.FallbackAllowed())                    // fallback allowed by default
	req.Placement = &wire.PlacementRequest{}
	is.True(req.Placement.FallbackAllowed())                    // fallback allowed when unset
	is.Equal(req.Placement.EffectiveMode(), wire.PlacementAuto) // auto when unset
}

func TestTaskRequestValidate(t *testing.T) {
	valid := func() wire.TaskRequest {
		return wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "org/m", Prompt: "hi"}
	}
	tests := []struct {
		name  string
		edit  func(*wire.TaskRequest)
		field string
	}{
		{"bad task id", func(r *wire.TaskRequest) { r.TaskID = "a b" }, "task_id"},
		{"bad session id", func(r *wire.TaskRequest) { r.SessionID = "x/y" }, "session_id"},
		{"no workload", func(r *wire.TaskRequest) { r.Workload = "" }, "workload"},
		{"bad workload", func(r *wire.TaskRequest) { r.Workload = "chat" }, "workload"},
		{"no model", func(r *wire.TaskRequest) { r.ModelRef = "" }, "model_ref"},
		{"bad model", func(r *wire.TaskRequest) { r.ModelRef = "a b" }, "model_ref"},
		{"bad engine", func(r *wire.TaskRequest) { r.Engine = "triton" }, "engine"},
		{"no prompt", func(r *wire.TaskRequest) { r.Prompt = "" }, "prompt"},
		{"prompt and inputs", func(r *wire.TaskRequest) { r.Inputs = []string{"x"} }, "inputs"},
		{"ctx zero", func(r *wire.TaskRequest) { r.Ctx = ptr(0) }, "ctx"},
		{"max tokens zero", func(r *wire.TaskRequest) { r.MaxTokens = ptr(0) }, "max_tokens"},
		{"negative expected", func(r *wire.TaskRequest) { r.ExpectedTokens = ptr(-1) }, "expected_tokens"},
		{"bad priority", func(r *wire.TaskRequest) { r.Priority = "urgent" }, "priority"},
		{"bad determinism", func(r *wire.TaskRequest) { r.Determinism = "exact" }, "determinism"},
		{"bad kv hint", func(r *wire.TaskRequest) { r.KVHint = "warm" }, "kv_hint"},
		{"negative temperature", func(r *wire.TaskRequest) { r.Temperature = ptr(-0.1) }, "temperature"},
		{"top p above 1", func(r *wire.TaskRequest) { r.TopP = ptr(1.5) }, "top_p"},
		{"bad mode", func(r *wire.TaskRequest) { r.Placement = &wire.PlacementRequest{Mode: "spread"} }, "placement.mode"},
		{"pin without pool", func(r *wire.TaskRequest) { r.Placement = &wire.PlacementRequest{Mode: wire.PlacementPin} }, "placement.pin_pool_id"},
		{"bad pin pool", func(r *wire.TaskRequest) { r.Placement = &wire.PlacementRequest{PinPoolID: "a b"} }, "placement.pin_pool_id"},
		{"bad prefer", func(r *wire.TaskRequest) { r.Placement = &wire.PlacementRequest{PreferPools: []string{""}} }, "placement.prefer_pools"},
		{"bad avoid", func(r *wire.TaskRequest) { r.Placement = &wire.PlacementRequest{AvoidPools: []string{"a b"}} }, "placement.avoid_pools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			req := valid()
			tt.edit(&req)
			err := req.Validate()
			var fe *wire.FieldError
			is.True(errors.As(err, &fe))                  // a field error
			is.Equal(fe.Field, tt.field)                  // naming the field
			is.True(errors.Is(err, wire.ErrInvalidField)) // wrapping the sentinel
		})
	}
}

func TestTaskRequestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		req  wire.TaskRequest
	}{
		{"inputs", wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Inputs: []string{"a"}}},
		{"embedding without prompt", wire.TaskRequest{Workload: wire.WorkloadEmbedding, ModelRef: "m", Inputs: []string{"a"}}},
		{"pin", wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p",
			Placement: &wire.PlacementRequest{Mode: wire.PlacementPin, PinPoolID: "pool-0"}}},
		{"negative deadline is the service's", wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "p",
			DeadlineMs: ptr[int64](-1)}},
		{"edges", wire.TaskRequest{Workload: wire.WorkloadRerank, ModelRef: "m", Ctx: ptr(1), MaxTokens: ptr(1),
			Temperature: ptr(0.0), TopP: ptr(1.0), ExpectedTokens: ptr(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.NoErr(tt.req.Validate()) // accepted
		})
	}
}

func TestAdmissionResponse(t *testing.T) {
	is := is.New(t)
	resp := wire.AdmissionResponse{TaskID: "t-1", Streams: wire.TaskStreamURLs("t-1")}
	out, err := json.Marshal(resp)
	is.NoErr(err) // encodes
	is.Equal(string(out), `{"task_id":"t-1","queue_position":0,"predicted_start_ms":0,"backoff_ms":0,`+
		`"streams":{"sse":"/v2/tasks/t-1/events","sse_verbose":"/v2/tasks/t-1/events?verbose=true"}}`) // api.md shape, no preparation
	is.Equal(wire.TaskLocation("t-1"), "/v2/tasks/t-1") // Location header

	withPrep := `{"task_id":"t","queue_position":3,"predicted_start_ms":1200,"backoff_ms":0,
		"streams":{"sse":"/a","sse_verbose":"/b"},
		"preparation":{"steps":[{"kind":"model_fetch","description":"pull","estimated_ms":5000}]}}`
	var decoded wire.AdmissionResponse
	decodeStrict(t, withPrep, &decoded)
	is.Equal(decoded.Preparation.Steps[0].Kind, wire.PrepModelFetch) // steps decoded
	again, err := json.Marshal(decoded)
	is.NoErr(err)                                             // encodes
	is.Equal(generic(t, again), generic(t, []byte(withPrep))) // round trip
}

func TestTaskStatus(t *testing.T) {
	is := is.New(t)
	queued, err := json.Marshal(wire.TaskStatus{TaskID: "t", State: wire.TaskQueued, ModelRef: "m",
		QueuePosition: ptr(0), CreatedMs: 1})
	is.NoErr(err) // encodes
	is.Equal(keys(t, queued), map[string]bool{"task_id": true, "state": true, "model_ref": true,
		"queue_position": true, "tokens_out": true, "created_ms": true}) // position 0 kept, the rest omitted

	failed := `{"task_id":"t","session_id":"s","state":"failed","model_ref":"m","engine":"vllm","pool_id":"p",
		"node_id":"n","tokens_out":3,"created_ms":1,"started_ms":2,"ended_ms":3,
		"error":{"code":"WORKER_RESET","message":"engine vanished","engine":"vllm"},
		"transcript_artifact_id":"` + "ab" + `"}`
	var st wire.TaskStatus
	decodeStrict(t, failed, &st)
	is.Equal(st.Error.Code, wire.CodeWorkerReset) // error decoded
	out, err := json.Marshal(st)
	is.NoErr(err)                                         // encodes
	is.Equal(generic(t, out), generic(t, []byte(failed))) // round trip
}
