package openai

import (
	"strconv"
	"strings"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

// maxStops bounds the stop strings, as on /v2.
const maxStops = 16

// sessionHeaderField names the X-Session-Id header in errors.
const sessionHeaderField = "X-Session-Id"

// common holds the fields chat and text completions share.
type common struct {
	model       string
	limit       *int
	limitField  string
	temperature *float64
	topP        *float64
	stop        []string
	seed        *int64
	user        string
	n           *int
}

// chatSpec validates a chat completion request and maps it onto a Spec.
func (s *Service) chatSpec(req *wire.ChatCompletionRequest, sessionHeader string) (tasks.Spec, error) {
	limitField := "max_tokens"
	if req.MaxCompletionTokens != nil {
		limitField = "max_completion_tokens"
	}
	spec, err := s.commonSpec(common{
		model: req.Model, limit: req.TokenLimit(), limitField: limitField, temperature: req.Temperature,
		topP: req.TopP, stop: req.Stop, seed: req.Seed, user: req.User, n: req.N,
	}, sessionHeader)
	if err != nil {
		return tasks.Spec{}, err
	}
	if len(req.Messages) == 0 {
		return tasks.Spec{}, problem.Invalid("messages", "at least one message is required")
	}
	spec.Messages = make([]engine.Message, len(req.Messages))
	for i, m := range req.Messages {
		if !validRole(m.Role) {
			return tasks.Spec{}, problem.Invalid("messages["+strconv.Itoa(i)+"].role",
				"want system, developer, user, assistant or tool, got %q", m.Role)
		}
		spec.Messages[i] = engine.Message{Role: m.Role, Content: m.Content}
	}
	return spec, nil
}

// completionSpec validates a text completion request and maps it onto a
// Spec.
func (s *Service) completionSpec(req *wire.CompletionRequest, sessionHeader string) (tasks.Spec, error) {
	spec, err := s.commonSpec(common{
		model: req.Model, limit: req.MaxTokens, limitField: "max_tokens", temperature: req.Temperature,
		topP: req.TopP, stop: req.Stop, seed: req.Seed, user: req.User, n: req.N,
	}, sessionHeader)
	if err != nil {
		return tasks.Spec{}, err
	}
	spec.Prompt = req.Prompt.Joined()
	if spec.Prompt == "" {
		return tasks.Spec{}, problem.Invalid("prompt", "required: a string or an array of strings")
	}
	return spec, nil
}

// commonSpec validates the shared fields (the rules of /v2 where the fields
// match, api.md §3).
func (s *Service) commonSpec(c common, sessionHeader string) (tasks.Spec, error) {
	spec := tasks.Spec{
		Model: c.model, Priority: admission.Interactive, MaxTokens: min(DefaultMaxTokens, s.tokenLimit),
		Placement: placement.Request{AllowFallback: true},
	}
	if strings.TrimSpace(c.model) == "" {
		return spec, problem.Invalid("model", "required")
	}
	if len(c.model) > 256 || strings.ContainsAny(c.model, " \t\r\n") {
		return spec, problem.Invalid("model", "want a model id (at most 256 characters, no whitespace)")
	}
	switch {
	case c.user != "":
		if !wire.ValidID(c.user) {
			return spec, problem.Invalid("user", "names the session: want 1-128 characters of [A-Za-z0-9._:@+-]")
		}
		spec.SessionID = c.user
	case sessionHeader != "":
		if !wire.ValidID(sessionHeader) {
			return spec, problem.Invalid(sessionHeaderField, "want 1-128 characters of [A-Za-z0-9._:@+-]")
		}
		spec.SessionID = sessionHeader
	}
	if c.n != nil && *c.n != 1 {
		return spec, problem.Invalid("n", "only one choice per request is served, got %d", *c.n)
	}
	if c.limit != nil {
		if *c.limit < 1 || *c.limit > s.tokenLimit {
			return spec, problem.Invalid(c.limitField, "must be between 1 and %d, got %d", s.tokenLimit, *c.limit)
		}
		spec.MaxTokens = *c.limit
	}
	if c.temperature != nil && (*c.temperature < 0 || *c.temperature > 2) {
		return spec, problem.Invalid("temperature", "must be between 0 and 2")
	}
	if c.topP != nil && (*c.topP <= 0 || *c.topP > 1) {
		return spec, problem.Invalid("top_p", "must be in (0, 1]")
	}
	if len(c.stop) > maxStops {
		return spec, problem.Invalid("stop", "at most %d stop strings", maxStops)
	}
	spec.Temperature, spec.TopP, spec.Stop, spec.Seed = c.temperature, c.topP, c.stop, c.seed
	return spec, nil
}

func validRole(r string) bool {
	switch r {
	case wire.RoleSystem, wire.RoleDeveloper, wire.RoleUser, wire.RoleAssistant, wire.RoleTool:
		return true
	}
	return false
}
