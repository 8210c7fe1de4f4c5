package wire

import "math"

// Validate checks the rules of api.md §3 that need no server state and
// returns the first broken one as a *FieldError (which wraps
// ErrInvalidField). The limits that depend on configuration or on the
// registered pools (max_tokens above the configured limit, ctx above every
// pool's ctx_max) and deadline_ms <= 0 (DEADLINE_UNMET, not INVALID_PARAMS)
// are the admission service's to check.
func (r *TaskRequest) Validate() error {
	if r.TaskID != "" && !ValidID(r.TaskID) {
		return &FieldError{Field: "task_id", Reason: "must be 1-128 characters of [A-Za-z0-9._:@+-]"}
	}
	if r.SessionID != "" && !ValidID(r.SessionID) {
		return &FieldError{Field: "session_id", Reason: "must be 1-128 characters of [A-Za-z0-9._:@+-]"}
	}
	if r.Workload == "" {
		return &FieldError{Field: "workload", Reason: "required"}
	}
	if !r.Workload.Valid() {
		return &FieldError{Field: "workload", Reason: "must be completion, embedding or rerank"}
	}
	if r.ModelRef == "" {
		return &FieldError{Field: "model_ref", Reason: "required"}
	}
	if !ValidModelRef(r.ModelRef) {
		return &FieldError{Field: "model_ref", Reason: "must be 1-128 characters of [A-Za-z0-9._:@+/-]"}
	}
	if r.Engine != "" && !r.Engine.Valid() {
		return &FieldError{Field: "engine", Reason: "must be llamacpp, vllm, tgi, ollama or openai"}
	}
	if r.Workload == WorkloadCompletion && r.Prompt == "" && len(r.Inputs) == 0 {
		return &FieldError{Field: "prompt", Reason: "prompt or inputs required for completion"}
	}
	if r.Prompt != "" && len(r.Inputs) > 0 {
		return &FieldError{Field: "inputs", Reason: "send prompt or inputs, not both"}
	}
	if err := positive("ctx", r.Ctx); err != nil {
		return err
	}
	if err := positive("max_tokens", r.MaxTokens); err != nil {
		return err
	}
	if r.ExpectedTokens != nil && *r.ExpectedTokens < 0 {
		return &FieldError{Field: "expected_tokens", Reason: "must not be negative"}
	}
	if r.Priority != "" && !r.Priority.Valid() {
		return &FieldError{Field: "priority", Reason: "must be interactive or batch"}
	}
	if r.Determinism != "" && !r.Determinism.Valid() {
		return &FieldError{Field: "determinism", Reason: "must be strict or best_effort"}
	}
	if r.KVHint != "" && !r.KVHint.Valid() {
		return &FieldError{Field: "kv_hint", Reason: "must be reuse or cold"}
	}
	if r.Temperature != nil && (math.IsNaN(*r.Temperature) || *r.Temperature < 0) {
		return &FieldError{Field: "temperature", Reason: "must not be negative"}
	}
	if r.TopP != nil && (math.IsNaN(*r.TopP) || *r.TopP < 0 || *r.TopP > 1) {
		return &FieldError{Field: "top_p", Reason: "must be between 0 and 1"}
	}
	return r.Placement.validate()
}

func positive(field string, v *int) error {
	if v != nil && *v < 1 {
		return &FieldError{Field: field, Reason: "must be at least 1"}
	}
	return nil
}

func (p *PlacementRequest) validate() error {
	if p == nil {
		return nil
	}
	if p.Mode != "" && !p.Mode.Valid() {
		return &FieldError{Field: "placement.mode", Reason: "must be auto, pin or prefer"}
	}
	if p.PinPoolID != "" && !ValidID(p.PinPoolID) {
		return &FieldError{Field: "placement.pin_pool_id", Reason: "must be a valid pool id"}
	}
	if p.Mode == PlacementPin && p.PinPoolID == "" {
		return &FieldError{Field: "placement.pin_pool_id", Reason: "required when mode is pin"}
	}
	for _, id := range p.PreferPools {
		if !ValidID(id) {
			return &FieldError{Field: "placement.prefer_pools", Reason: "must hold valid pool ids"}
		}
	}
	for _, id := range p.AvoidPools {
		if !ValidID(id) {
			return &FieldError{Field: "placement.avoid_pools", Reason: "must hold valid pool ids"}
		}
	}
	return nil
}
