package tasks

// PromptTokens is the engine's count of a task's prompt tokens (llama.cpp
// tokens_evaluated, OpenAI usage.prompt_tokens), 0 when the engine reported
// none or the task is unknown. It is recorded before the task's end frame
// is appended, so a reader that has seen the end frame reads the final
// count. The /v2 end frame has no field for it (api.md §3); the
// OpenAI-compatible surface reports it as usage.prompt_tokens.
func (s *Service) PromptTokens(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.tasks[id]; ok {
		return r.promptTokens
	}
	if e, ok := s.finished[id]; ok {
		return e.promptTokens
	}
	return 0
}
