package wire_test

import (
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// enum is what every enumeration of the contract offers.
type enum interface {
	~string
	Valid() bool
}

func checkEnum[T enum](t *testing.T, values []T, want []string) {
	t.Helper()
	is := is.New(t)
	got := make([]string, len(values))
	for i, v := range values {
		got[i] = string(v)
		is.True(v.Valid()) // every listed value is valid
	}
	is.Equal(got, want)                // the values are exactly api.md's
	is.True(!T("").Valid())            // the empty value is not valid
	is.True(!T("bogus").Valid())       // an unknown value is not valid
	is.True(!T(want[0] + " ").Valid()) // a near miss is not valid
}

func TestEnums(t *testing.T) {
	t.Run("error codes", func(t *testing.T) {
		checkEnum(t, wire.ErrorCodes(), []string{"INVALID_PARAMS", "DEADLINE_UNMET", "UNTRUSTED_ARTIFACT",
			"UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE", "ADMISSION_REJECT",
			"QUEUE_FULL_DROP_LRU", "BUDGET_EXHAUSTED", "POOL_UNAVAILABLE", "INTERNAL", "DECODE_TIMEOUT",
			"WORKER_RESET", "ENGINE_ERROR"})
	})
	t.Run("policy labels", func(t *testing.T) {
		checkEnum(t, wire.PolicyLabels(), []string{"reject", "drop-lru", "budget"})
	})
	t.Run("workloads", func(t *testing.T) {
		checkEnum(t, wire.Workloads(), []string{"completion", "embedding", "rerank"})
	})
	t.Run("engines", func(t *testing.T) {
		checkEnum(t, wire.Engines(), []string{"llamacpp", "vllm", "tgi", "ollama", "openai"})
	})
	t.Run("priorities", func(t *testing.T) {
		checkEnum(t, wire.Priorities(), []string{"interactive", "batch"})
	})
	t.Run("determinism", func(t *testing.T) {
		checkEnum(t, wire.Determinisms(), []string{"strict", "best_effort"})
	})
	t.Run("kv hints", func(t *testing.T) {
		checkEnum(t, wire.KVHints(), []string{"reuse", "cold"})
	})
	t.Run("placement modes", func(t *testing.T) {
		checkEnum(t, wire.PlacementModes(), []string{"auto", "pin", "prefer"})
	})
	t.Run("task states", func(t *testing.T) {
		checkEnum(t, wire.TaskStates(), []string{"queued", "running", "completed", "canceled", "failed"})
	})
	t.Run("finish reasons", func(t *testing.T) {
		checkEnum(t, wire.FinishReasons(), []string{"stop", "length", "canceled", "drain", "shutdown", "retired"})
	})
	t.Run("node statuses", func(t *testing.T) {
		checkEnum(t, wire.NodeStatuses(), []string{"online", "offline"})
	})
	t.Run("queue policies", func(t *testing.T) {
		checkEnum(t, wire.QueuePolicies(), []string{"reject", "drop-lru"})
	})
	t.Run("strategies", func(t *testing.T) {
		checkEnum(t, wire.Strategies(), []string{"least-loaded", "round-robin", "random"})
	})
	t.Run("model states", func(t *testing.T) {
		checkEnum(t, wire.ModelStates(), []string{"Active", "Retired"})
	})
	t.Run("trust modes", func(t *testing.T) {
		checkEnum(t, wire.TrustModes(), []string{"strict", "permissive"})
	})
	t.Run("artifact kinds", func(t *testing.T) {
		checkEnum(t, wire.ArtifactKinds(), []string{"plan", "summary", "diff", "trace", "transcript", "logs", "other"})
	})
}

func TestEventNames(t *testing.T) {
	is := is.New(t)
	is.Equal(wire.EventNames(), []string{"started", "metrics", "token", "end", "error"}) // api.md frame order
	for _, name := range wire.EventNames() {
		is.True(wire.ValidEventName(name)) // listed names are valid
	}
	is.True(!wire.ValidEventName("done"))         // unknown event
	is.True(wire.TerminalEvent(wire.EventEnd))    // end is terminal
	is.True(wire.TerminalEvent(wire.EventError))  // error is terminal
	is.True(!wire.TerminalEvent(wire.EventToken)) // token is not terminal
}

func TestTaskStateTerminal(t *testing.T) {
	tests := []struct {
		state    wire.TaskState
		terminal bool
	}{
		{wire.TaskQueued, false},
		{wire.TaskRunning, false},
		{wire.TaskCompleted, true},
		{wire.TaskCanceled, true},
		{wire.TaskFailed, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.state.Terminal(), tt.terminal) // terminal states end a task
		})
	}
}

func TestErrorCodeStatus(t *testing.T) {
	tests := []struct {
		code     wire.ErrorCode
		status   int
		inStream bool
		openai   string
	}{
		{wire.CodeInvalidParams, http.StatusBadRequest, false, wire.OpenAIInvalidRequest},
		{wire.CodeDeadlineUnmet, http.StatusBadRequest, true, wire.OpenAIInvalidRequest},
		{wire.CodeUntrustedArtifact, http.StatusBadRequest, false, wire.OpenAIInvalidRequest},
		{wire.CodeUnauthorized, http.StatusUnauthorized, false, wire.OpenAIAuthentication},
		{wire.CodeForbidden, http.StatusForbidden, false, wire.OpenAIPermission},
		{wire.CodeNotFound, http.StatusNotFound, false, wire.OpenAINotFound},
		{wire.CodeConflict, http.StatusConflict, false, wire.OpenAIInvalidRequest},
		{wire.CodePayloadTooLarge, http.StatusRequestEntityTooLarge, false, wire.OpenAIInvalidRequest},
		{wire.CodeAdmissionReject, http.StatusTooManyRequests, false, wire.OpenAIRateLimit},
		{wire.CodeQueueFullDropLRU, http.StatusTooManyRequests, true, wire.OpenAIRateLimit},
		{wire.CodeBudgetExhausted, http.StatusTooManyRequests, false, wire.OpenAIRateLimit},
		{wire.CodePoolUnavailable, http.StatusServiceUnavailable, true, wire.OpenAIServer},
		{wire.CodeInternal, http.StatusInternalServerError, true, wire.OpenAIServer},
		{wire.CodeDecodeTimeout, http.StatusGatewayTimeout, true, wire.OpenAIServer},
		{wire.CodeWorkerReset, http.StatusBadGateway, true, wire.OpenAIServer},
		{wire.CodeEngineError, http.StatusBadGateway, true, wire.OpenAIServer},
		{wire.ErrorCode("NOPE"), http.StatusInternalServerError, false, wire.OpenAIServer},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.code.HTTPStatus(), tt.status)          // status of api.md's table
			is.Equal(tt.code.InStream(), tt.inStream)          // in-stream codes of api.md §2
			is.Equal(wire.OpenAIErrorType(tt.code), tt.openai) // OpenAI error type by status
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{-5, "1"}, {0, "1"}, {1, "1"}, {999, "1"}, {1000, "1"}, {1001, "2"}, {12345, "13"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			is := is.New(t)
			is.Equal(wire.RetryAfterSeconds(tt.ms), tt.want) // whole seconds, rounded up, at least 1
		})
	}
}
