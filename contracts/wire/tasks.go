package wire

import "strconv"

// Workload is the kind of work a task asks for.
type Workload string

// Workloads of a task.
const (
	WorkloadCompletion Workload = "completion"
	WorkloadEmbedding  Workload = "embedding"
	WorkloadRerank     Workload = "rerank"
)

// Workloads returns every workload.
func Workloads() []Workload {
	return []Workload{WorkloadCompletion, WorkloadEmbedding, WorkloadRerank}
}

// Valid reports whether w is a workload of the contract.
func (w Workload) Valid() bool {
	switch w {
	case WorkloadCompletion, WorkloadEmbedding, WorkloadRerank:
		return true
	}
	return false
}

// Engine names the engine behind a pool.
type Engine string

// Engines a pool may run (api.md §4).
const (
	EngineLlamaCpp Engine = "llamacpp"
	EngineVLLM     Engine = "vllm"
	EngineTGI      Engine = "tgi"
	EngineOllama   Engine = "ollama"
	EngineOpenAI   Engine = "openai"
)

// Engines returns every engine.
func Engines() []Engine {
	return []Engine{EngineLlamaCpp, EngineVLLM, EngineTGI, EngineOllama, EngineOpenAI}
}

// Valid reports whether e is an engine of the contract.
func (e Engine) Valid() bool {
	switch e {
	case EngineLlamaCpp, EngineVLLM, EngineTGI, EngineOllama, EngineOpenAI:
		return true
	}
	return false
}

// Priority is a task's queue class; interactive runs before batch.
type Priority string

// Priorities of a task.
const (
	PriorityInteractive Priority = "interactive"
	PriorityBatch       Priority = "batch"
)

// Priorities returns every priority, highest first.
func Priorities() []Priority { return []Priority{PriorityInteractive, PriorityBatch} }

// Valid reports whether p is a priority of the contract.
func (p Priority) Valid() bool { return p == PriorityInteractive || p == PriorityBatch }

// Determinism asks for reproducible output.
type Determinism string

// Determinism levels.
const (
	DeterminismStrict     Determinism = "strict"
	DeterminismBestEffort Determinism = "best_effort"
)

// Determinisms returns every determinism level.
func Determinisms() []Determinism { return []Determinism{DeterminismStrict, DeterminismBestEffort} }

// Valid reports whether d is a determinism level of the contract.
func (d Determinism) Valid() bool { return d == DeterminismStrict || d == DeterminismBestEffort }

// KVHint tells placement whether the session's KV cache is worth reusing.
type KVHint string

// KV hints.
const (
	KVHintReuse KVHint = "reuse"
	KVHintCold  KVHint = "cold"
)

// KVHints returns every KV hint.
func KVHints() []KVHint { return []KVHint{KVHintReuse, KVHintCold} }

// Valid reports whether h is a KV hint of the contract.
func (h KVHint) Valid() bool { return h == KVHintReuse || h == KVHintCold }

// PlacementMode says how the placement object constrains pool choice.
type PlacementMode string

// Placement modes.
const (
	PlacementAuto   PlacementMode = "auto"
	PlacementPin    PlacementMode = "pin"
	PlacementPrefer PlacementMode = "prefer"
)

// PlacementModes returns every placement mode.
func PlacementModes() []PlacementMode {
	return []PlacementMode{PlacementAuto, PlacementPin, PlacementPrefer}
}

// Valid reports whether m is a placement mode of the contract.
func (m PlacementMode) Valid() bool {
	return m == PlacementAuto || m == PlacementPin || m == PlacementPrefer
}

// TaskState is the lifecycle state of a task.
type TaskState string

// Task states.
const (
	TaskQueued    TaskState = "queued"
	TaskRunning   TaskState = "running"
	TaskCompleted TaskState = "completed"
	TaskCanceled  TaskState = "canceled"
	TaskFailed    TaskState = "failed"
)

// TaskStates returns every task state.
func TaskStates() []TaskState {
	return []TaskState{TaskQueued, TaskRunning, TaskCompleted, TaskCanceled, TaskFailed}
}

// Valid reports whether s is a task state of the contract.
func (s TaskState) Valid() bool {
	switch s {
	case TaskQueued, TaskRunning, TaskCompleted, TaskCanceled, TaskFailed:
		return true
	}
	return false
}

// Terminal reports whether s is a final state.
func (s TaskState) Terminal() bool {
	return s == TaskCompleted || s == TaskCanceled || s == TaskFailed
}

// TaskRequest is the body of POST /v2/tasks (TaskRequestV2, api.md §3).
// Optional numbers are pointers: nil means "not sent".
type TaskRequest struct {
	TaskID                string            `json:"task_id,omitempty"`
	SessionID             string            `json:"session_id,omitempty"`
	Workload              Workload          `json:"workload"`
	ModelRef              string            `json:"model_ref"`
	Engine                Engine            `json:"engine,omitempty"`
	Prompt                string            `json:"prompt,omitempty"`
	Inputs                []string          `json:"inputs,omitempty"`
	Ctx                   *int              `json:"ctx,omitempty"`
	MaxTokens             *int              `json:"max_tokens,omitempty"`
	Priority              Priority          `json:"priority,omitempty"`
	DeadlineMs            *int64            `json:"deadline_ms,omitempty"`
	Seed                  *int64            `json:"seed,omitempty"`
	Determinism           Determinism       `json:"determinism,omitempty"`
	SamplerProfileVersion string            `json:"sampler_profile_version,omitempty"`
	Temperature           *float64          `json:"temperature,omitempty"`
	TopP                  *float64          `json:"top_p,omitempty"`
	Stop                  StopSequences     `json:"stop,omitempty"`
	ExpectedTokens        *int              `json:"expected_tokens,omitempty"`
	KVHint                KVHint            `json:"kv_hint,omitempty"`
	Placement             *PlacementRequest `json:"placement,omitempty"`

	// TrustPolicy is the request's X-Trust-Policy header (api.md §2), not a
	// body field: the HTTP layer copies it here.
	TrustPolicy TrustMode `json:"-"`
}

// EffectivePriority returns the request's priority, interactive when unset.
func (r *TaskRequest) EffectivePriority() Priority {
	if r.Priority == "" {
		return PriorityInteractive
	}
	return r.Priority
}

// PlacementRequest is the optional placement object of a task.
type PlacementRequest struct {
	Mode              PlacementMode `json:"mode,omitempty"`
	PinPoolID         string        `json:"pin_pool_id,omitempty"`
	PreferPools       []string      `json:"prefer_pools,omitempty"`
	AvoidPools        []string      `json:"avoid_pools,omitempty"`
	RequireDeviceMask string        `json:"require_device_mask,omitempty"`
	AllowFallback     *bool         `json:"allow_fallback,omitempty"`
}

// EffectiveMode returns the placement mode, auto when p is nil or unset.
func (p *PlacementRequest) EffectiveMode() PlacementMode {
	if p == nil || p.Mode == "" {
		return PlacementAuto
	}
	return p.Mode
}

// FallbackAllowed returns allow_fallback, true when p is nil or unset.
func (p *PlacementRequest) FallbackAllowed() bool {
	return p == nil || p.AllowFallback == nil || *p.AllowFallback
}

// AdmissionResponse is the 202 body of POST /v2/tasks (AdmissionResponseV2).
type AdmissionResponse struct {
	TaskID           string       `json:"task_id"`
	QueuePosition    int          `json:"queue_position"`
	PredictedStartMs int64        `json:"predicted_start_ms"`
	BackoffMs        int64        `json:"backoff_ms"`
	Streams          StreamURLs   `json:"streams"`
	Preparation      *Preparation `json:"preparation,omitempty"`
	// Budget is sent as the X-Budget-* headers of the 202, not in the body.
	Budget Budget `json:"-"`
}

// AppendJSON appends the response's JSON encoding to dst without
// reflection; the bytes equal json.Marshal's.
func (a *AdmissionResponse) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"task_id":`...)
	dst = appendJSONString(dst, a.TaskID)
	dst = append(dst, `,"queue_position":`...)
	dst = strconv.AppendInt(dst, int64(a.QueuePosition), 10)
	dst = append(dst, `,"predicted_start_ms":`...)
	dst = strconv.AppendInt(dst, a.PredictedStartMs, 10)
	dst = append(dst, `,"backoff_ms":`...)
	dst = strconv.AppendInt(dst, a.BackoffMs, 10)
	dst = append(dst, `,"streams":{"sse":`...)
	dst = appendJSONString(dst, a.Streams.SSE)
	dst = append(dst, `,"sse_verbose":`...)
	dst = appendJSONString(dst, a.Streams.SSEVerbose)
	dst = append(dst, '}')
	if a.Preparation != nil {
		dst = append(dst, `,"preparation":{"steps":`...)
		dst = appendPreparationSteps(dst, a.Preparation.Steps)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func appendPreparationSteps(dst []byte, steps []PreparationStep) []byte {
	if steps == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range steps {
		st := &steps[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"kind":`...)
		dst = appendJSONString(dst, st.Kind)
		if st.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = appendJSONString(dst, st.Description)
		}
		if st.EstimatedMs != nil {
			dst = append(dst, `,"estimated_ms":`...)
			dst = strconv.AppendInt(dst, *st.EstimatedMs, 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// StreamURLs are the relative URLs of a task's event stream.
type StreamURLs struct {
	SSE        string `json:"sse"`
	SSEVerbose string `json:"sse_verbose"`
}

// TaskStreamURLs returns the stream URLs of the task with the given id.
// The id must already be valid (ValidID), so it needs no escaping.
func TaskStreamURLs(taskID string) StreamURLs {
	// One string for both: the plain URL is a prefix of the verbose one.
	verbose := taskPathPrefix + taskID + "/events" + verboseQuery
	return StreamURLs{SSE: verbose[:len(verbose)-len(verboseQuery)], SSEVerbose: verbose}
}

const verboseQuery = "?verbose=true"

// TaskLocation returns the Location header of a task's 202.
func TaskLocation(taskID string) string { return taskPathPrefix + taskID }

const taskPathPrefix = "/v2/tasks/"

// Location returns the Location header of the response: TaskLocation of its
// task, cut from the stream URLs when they are the task's (TaskStreamURLs)
// instead of built again.
func (a *AdmissionResponse) Location() string {
	n := len(taskPathPrefix) + len(a.TaskID)
	if u := a.Streams.SSEVerbose; len(u) > n && u[:len(taskPathPrefix)] == taskPathPrefix &&
		u[len(taskPathPrefix):n] == a.TaskID && u[n] == '/' {
		return u[:n]
	}
	return TaskLocation(a.TaskID)
}

// Preparation lists what must happen before a task can run.
type Preparation struct {
	Steps []PreparationStep `json:"steps"`
}

// PreparationStep is one step of a preparation, such as a model fetch.
type PreparationStep struct {
	Kind        string `json:"kind"`
	Description string `json:"description,omitempty"`
	EstimatedMs *int64 `json:"estimated_ms,omitempty"`
}

// Preparation step kinds.
const (
	PrepEngineProvision = "engine_provision"
	PrepModelFetch      = "model_fetch"
	PrepPoolWarmup      = "pool_warmup"
)

// TaskStatus is the body of GET /v2/tasks/{id}. Fields that do not apply yet
// (pool before placement, started/ended before those moments, the queue
// position after the task left the queue) are omitted.
type TaskStatus struct {
	TaskID               string     `json:"task_id"`
	SessionID            string     `json:"session_id,omitempty"`
	State                TaskState  `json:"state"`
	ModelRef             string     `json:"model_ref"`
	Engine               Engine     `json:"engine,omitempty"`
	PoolID               string     `json:"pool_id,omitempty"`
	NodeID               string     `json:"node_id,omitempty"`
	QueuePosition        *int       `json:"queue_position,omitempty"`
	TokensOut            int        `json:"tokens_out"`
	CreatedMs            int64      `json:"created_ms"`
	StartedMs            *int64     `json:"started_ms,omitempty"`
	EndedMs              *int64     `json:"ended_ms,omitempty"`
	Error                *TaskError `json:"error,omitempty"`
	TranscriptArtifactID string     `json:"transcript_artifact_id,omitempty"`
}

// TaskError is why a failed task failed.
type TaskError struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
	Engine  Engine    `json:"engine,omitempty"`
}
