package tasks

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// specFromRequest validates a /v2 task request (api.md §3) and turns it into
// a Spec. Every failure is INVALID_PARAMS naming the field, except a
// non-positive deadline, which is DEADLINE_UNMET.
func (s *Service) specFromRequest(req wire.TaskRequest) (Spec, error) {
	sp := Spec{ID: req.TaskID, SessionID: req.SessionID, Model: req.ModelRef, Engine: string(req.Engine)}
	if req.TaskID != "" && !wire.ValidID(req.TaskID) {
		return Spec{}, problem.Invalid("task_id", "want 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	if req.SessionID != "" && !wire.ValidID(req.SessionID) {
		return Spec{}, problem.Invalid("session_id", "want 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	switch req.Workload {
	case "":
		return Spec{}, problem.Invalid("workload", "required: completion, embedding or rerank")
	case wire.WorkloadCompletion:
	case wire.WorkloadEmbedding, wire.WorkloadRerank:
		return Spec{}, &problem.Error{Code: wire.CodePoolUnavailable, Message: "no registered pool serves the " + string(req.Workload) + " workload"}
	default:
		return Spec{}, problem.Invalid("workload", "want completion, embedding or rerank, got %q", req.Workload)
	}
	if strings.TrimSpace(req.ModelRef) == "" {
		return Spec{}, problem.Invalid("model_ref", "required")
	}
	if len(req.ModelRef) > 256 || strings.ContainsAny(req.ModelRef, " \t\r\n") {
		return Spec{}, problem.Invalid("model_ref", "want a model id (at most 256 characters, no whitespace)")
	}
	if req.Engine != "" && !wire.Engine(req.Engine).Valid() {
		return Spec{}, problem.Invalid("engine", "want llamacpp, vllm, tgi, ollama or openai, got %q", req.Engine)
	}
	switch {
	case req.Prompt != "":
		sp.Prompt = req.Prompt
	case len(req.Inputs) > 0:
		sp.Prompt = strings.Join(req.Inputs, "\n")
	default:
		return Spec{}, problem.Invalid("prompt", "prompt or inputs is required for completion")
	}
	if req.Ctx != nil {
		if *req.Ctx < 1 {
			return Spec{}, problem.Invalid("ctx", "must be at least 1, got %d", *req.Ctx)
		}
		sp.Ctx = *req.Ctx
	}
	sp.MaxTokens = defaultMaxTokens
	if req.MaxTokens != nil {
		if *req.MaxTokens < 1 || *req.MaxTokens > s.opt.MaxTokens {
			return Spec{}, problem.Invalid("max_tokens", "must be between 1 and %d, got %d", s.opt.MaxTokens, *req.MaxTokens)
		}
		sp.MaxTokens = *req.MaxTokens
	}
	sp.MaxTokens = min(sp.MaxTokens, s.opt.MaxTokens)
	switch req.Priority {
	case "", wire.PriorityInteractive:
		sp.Priority = admission.Interactive
	case wire.PriorityBatch:
		sp.Priority = admission.Batch
	default:
		return Spec{}, problem.Invalid("priority", "want interactive or batch, got %q", req.Priority)
	}
	if req.DeadlineMs != nil {
		if *req.DeadlineMs <= 0 {
			return Spec{}, problem.New(wire.CodeDeadlineUnmet, "deadline_ms must be greater than 0, got %d", *req.DeadlineMs)
		}
		sp.Deadline = time.Duration(*req.DeadlineMs) * time.Millisecond
	}
	switch req.Determinism {
	case "", wire.DeterminismBestEffort:
	case wire.DeterminismStrict:
		sp.Strict = true
	default:
		return Spec{}, problem.Invalid("determinism", "want strict or best_effort, got %q", req.Determinism)
	}
	switch req.KVHint {
	case "", wire.KVHintCold:
	case wire.KVHintReuse:
		sp.KVReuse = true
	default:
		return Spec{}, problem.Invalid("kv_hint", "want reuse or cold, got %q", req.KVHint)
	}
	if req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 2) {
		return Spec{}, problem.Invalid("temperature", "must be between 0 and 2")
	}
	if req.TopP != nil && (*req.TopP <= 0 || *req.TopP > 1) {
		return Spec{}, problem.Invalid("top_p", "must be in (0, 1]")
	}
	if req.ExpectedTokens != nil {
		if *req.ExpectedTokens < 1 {
			return Spec{}, problem.Invalid("expected_tokens", "must be at least 1")
		}
		sp.ExpectedTokens = *req.ExpectedTokens
	}
	if len(req.Stop) > 16 {
		return Spec{}, problem.Invalid("stop", "at most 16 stop strings")
	}
	sp.Seed, sp.Temperature, sp.TopP, sp.Stop = req.Seed, req.Temperature, req.TopP, req.Stop
	switch req.TrustPolicy {
	case "", wire.TrustPermissive:
	case wire.TrustStrict:
		sp.TrustStrict = true
	default:
		return Spec{}, problem.Invalid(wire.HeaderTrustPolicy, "want strict or permissive, got %q", req.TrustPolicy)
	}
	pl, err := placementFromRequest(req.Placement)
	if err != nil {
		return Spec{}, err
	}
	sp.Placement = pl
	if req.TaskID != "" {
		raw, err := json.Marshal(req)
		if err != nil {
			return Spec{}, err
		}
		sp.Digest = sha256.Sum256(raw)
	}
	return sp, nil
}

// defaultMaxTokens applies when a request names no max_tokens.
const defaultMaxTokens = 256

func placementFromRequest(p *wire.PlacementRequest) (placement.Request, error) {
	out := placement.Request{AllowFallback: true}
	if p == nil {
		return out, nil
	}
	switch p.Mode {
	case "", wire.PlacementAuto:
		out.Mode = placement.Auto
	case wire.PlacementPin:
		out.Mode = placement.Pin
		if !wire.ValidID(p.PinPoolID) {
			return out, problem.Invalid("placement.pin_pool_id", "required with mode pin: a pool id")
		}
	case wire.PlacementPrefer:
		out.Mode = placement.Prefer
	default:
		return out, problem.Invalid("placement.mode", "want auto, pin or prefer, got %q", p.Mode)
	}
	for _, id := range append(append([]string(nil), p.PreferPools...), p.AvoidPools...) {
		if !wire.ValidID(id) {
			return out, problem.Invalid("placement", "pool id %q is not a valid id", id)
		}
	}
	if p.RequireDeviceMask != "" && !validMask(p.RequireDeviceMask) {
		return out, problem.Invalid("placement.require_device_mask", "want device indexes like \"0,1\"")
	}
	out.PinPool, out.Prefer, out.Avoid, out.RequireDeviceMask = p.PinPoolID, p.PreferPools, p.AvoidPools, p.RequireDeviceMask
	if p.AllowFallback != nil {
		out.AllowFallback = *p.AllowFallback
	}
	return out, nil
}

func validMask(m string) bool {
	for _, part := range strings.Split(m, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return false
		}
		for _, c := range part {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
