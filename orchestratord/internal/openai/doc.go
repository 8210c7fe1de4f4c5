// Package openai is the OpenAI-compatible surface of orchestratord
// (api.md §9): POST /v1/chat/completions, POST /v1/completions and
// GET /v1/models. It maps an OpenAI request onto a tasks.Spec and submits it
// through the one admission path of the task service (tasks.Service.Submit),
// so /v1 requests share the queue, placement, sessions, metrics and
// transcripts of /v2 tasks; it then reads the task's event log and renders
// it as an OpenAI response or as OpenAI SSE chunks.
//
// Import rule: a daemon package; it imports contracts, libs and the
// daemon's tasks and problem packages, and is imported only by the wiring
// (internal/app) and the HTTP layer (internal/httpapi), which names its
// Reply and Stream types.
//
// Decisions where api.md is silent:
//   - Requests: priority is always interactive; the session is `user`, else
//     the X-Session-Id header, validated as an id (400 INVALID_PARAMS naming
//     `user` or `X-Session-Id`). max_completion_tokens wins over max_tokens;
//     absent, 256 (bounded by limits.max_tokens). Only n=1 is served (400
//     naming `n` otherwise). A prompt array is one task whose prompt is the
//     prompts joined by a blank line (wire.PromptList.Joined), answered with
//     one choice. Message roles are system, developer, user, assistant or
//     tool; a message's name is not forwarded.
//   - Ids and times: the completion id is `chatcmpl-<task id>` or
//     `cmpl-<task id>`, so the task's status, stream and transcript are found
//     from it; created is the admission time in Unix seconds; model is the
//     requested model.
//   - Usage: completion_tokens is tokens_out of the task's end frame (the
//     engine's count when it reported one); prompt_tokens is the engine's
//     prompt count, which the task service keeps (tasks.PromptTokens), 0
//     when the engine reported none.
//   - Budgets: the X-Budget-* headers of a request with a session carry its
//     budgets left at admission, as on the /v2 202 (a spent budget is a 429
//     BUDGET_EXHAUSTED before anything is streamed).
//   - Finish reason: the end frame's "length" stays "length"; every other
//     end, including a task canceled by someone else (POST
//     /v2/tasks/{id}/cancel, shutdown), is "stop", the reason OpenAI clients
//     know for a normal end. The partial text is kept.
//   - Streams: headers and, for chat, the first chunk (delta
//     {"role":"assistant","content":""}) are sent at admission, before the
//     task is placed; one chunk per token frame, several ready frames per
//     write, a flush once caught up with the log; ": keep-alive" comments
//     while idle; then the chunk with finish_reason, the usage chunk
//     (choices: []) when stream_options.include_usage, and `data: [DONE]`.
//     An in-stream error frame becomes `data: {"error": {"message", "type",
//     "code"}}` (the OpenAI error object, code = the contract's code) and the
//     stream closes without [DONE], which the OpenAI clients raise as an
//     APIError.
//   - Non-streamed requests wait for the end; an error frame becomes the
//     OpenAI error object with the code's status (ENGINE_ERROR and
//     WORKER_RESET 502, DECODE_TIMEOUT 504, POOL_UNAVAILABLE 503, an
//     eviction 429).
//   - A client that goes away (request context done, or a failed write)
//     cancels the task at once, streamed or not (reason client).
//   - GET /v1/models: Active catalog models (when a catalog is wired) and
//     the models of ready, non-draining pools, deduplicated and sorted;
//     created is the daemon's start time, owned_by "orchestratord".
package openai
