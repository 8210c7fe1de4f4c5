// Package ollama is the engine adapter for Ollama's native API.
//
// Generate posts to /api/generate, or to /api/chat when the request has
// messages (Ollama applies the model's own chat template), with
// "stream": true and the sampling parameters under "options" (num_predict,
// seed, temperature, top_p, stop). The answer is newline-delimited JSON
// ("application/x-ndjson"), one object per line as Go's json.Marshal writes
// it: {"model", "created_at", "response" (chat: "message": {"role",
// "content"}), "done": false} per token, then a final object with
// "done": true, "done_reason" ("stop" | "length"), "total_duration",
// "load_duration", "prompt_eval_count", "prompt_eval_duration",
// "eval_count", "eval_duration" (and for /api/generate the "context" token
// array). An error after the stream started is a line {"error": "..."}; an
// error before it is a non-2xx status with the same body.
//
// Result.TokensOut is the final object's eval_count, PromptTokens its
// prompt_eval_count; FinishReason "length" when done_reason says so.
//
// Probe reads /api/version (liveness and version), /api/tags (the local
// models; Ready when it answers) and /api/ps (the loaded models and their
// context length). Model names are reported as Ollama lists them
// ("tiny:latest") and, for the "latest" tag, also bare ("tiny"), the name
// Ollama itself accepts for it. Ollama reports no slots: SlotsTotal stays 0
// and SlotsFree -1 (the pool's configured slots count).
//
// Import rule: standard library and the engine module's packages only.
package ollama
