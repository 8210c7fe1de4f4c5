// Package llamacpp is the engine adapter for llama.cpp's llama-server.
//
// Generate posts to /completion with "stream": true and "cache_prompt": true
// and reads its Server-Sent Events: one "data: {...}" frame per token
// ("content", "tokens", "stop": false, "tokens_predicted", ...) and a final
// frame with "stop": true, "stop_type" (eos | word | limit | none),
// "tokens_predicted", "tokens_evaluated" and "timings". An error after the
// stream started arrives as "data: {"error": {"code", "message", "type"}}"
// (older servers: an "error: {...}" line).
//
// Chat requests stay on /completion: the messages are rendered into a plain
// role-tagged prompt, one "Role: content" line per message ending with
// "Assistant:", and "\nUser:" is added to the stop words so the model does
// not write the user's next turn. Use the openaicompat adapter against
// llama-server's /v1/chat/completions to apply the model's own chat template.
//
// Probe reads /health (200 ready, 503 loading), /slots (slot count, idle
// slots: those not "is_processing", per-slot n_ctx) and /props (total_slots
// when /slots is disabled, default_generation_settings.n_ctx, build_info,
// model_alias / model_path).
//
// Import rule: standard library and the engine module's packages only.
package llamacpp
