package tasks

import (
	"encoding/json"
	"testing"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// FuzzTaskRequest feeds arbitrary bodies through the /v2/tasks decoding and
// validation: it must never panic, every refusal must be a contract error
// with a message, and every accepted request must be within bounds.
func FuzzTaskRequest(f *testing.F) {
	for _, seed := range []string{
		`{"workload":"completion","model_ref":"m","prompt":"hi"}`,
		`{"workload":"completion","model_ref":"org/m","inputs":["a","b"],"max_tokens":5,"priority":"batch","deadline_ms":100}`,
		`{"workload":"completion","model_ref":"m","prompt":"p","placement":{"mode":"pin","pin_pool_id":"p1","allow_fallback":false}}`,
		`{"workload":"completion","model_ref":"m","prompt":"p","stop":"x","seed":7,"temperature":0.5,"top_p":1,"ctx":10}`,
		`{"workload":"embedding","model_ref":"m","inputs":["x"]}`,
		`{"task_id":"a b","workload":"completion","model_ref":"m","prompt":"p"}`,
		`{"workload":"completion","model_ref":"m","prompt":"p","max_tokens":-1}`,
		`{"workload":"completion","model_ref":"m","prompt":"p","placement":{"require_device_mask":"0,1"}}`,
		`[]`, `null`, `{"workload":7}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Service{opt: Options{MaxTokens: 1000}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req wire.TaskRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return // the HTTP layer answers these (see httpapi)
		}
		spec, err := s.specFromRequest(req)
		if err != nil {
			p, ok := problem.As(err)
			if !ok || p.Message == "" {
				t.Fatalf("refusal is not a contract error: %v", err)
			}
			switch p.Code {
			case wire.CodeInvalidParams, wire.CodeDeadlineUnmet, wire.CodePoolUnavailable:
			default:
				t.Fatalf("unexpected code %s", p.Code)
			}
			return
		}
		if spec.MaxTokens < 1 || spec.MaxTokens > 1000 {
			t.Fatalf("max tokens %d out of bounds", spec.MaxTokens)
		}
		if spec.Priority != admission.Interactive && spec.Priority != admission.Batch {
			t.Fatalf("priority %v", spec.Priority)
		}
		if spec.Model == "" || spec.Deadline < 0 || spec.Ctx < 0 {
			t.Fatalf("accepted an invalid spec: %+v", spec)
		}
		if spec.ID != "" && !wire.ValidID(spec.ID) {
			t.Fatalf("accepted task id %q", spec.ID)
		}
	})
}
