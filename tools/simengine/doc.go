// Package simengine is a simulated LLM inference engine: an HTTP server that
// speaks the llama.cpp server protocol and the vLLM flavour of the OpenAI
// protocol byte for byte, generating deterministic text at a configurable
// pace, with a bounded number of slots and injectable faults. Every test and
// benchmark of orchestratord runs against it.
//
// Import rule: standard library only. The package lives in the tools module
// and may be imported by tests of any module that depends on tools; it never
// imports orchestratord or a lib.
//
// # Endpoints
//
// llama.cpp (llama-server): POST /completion (and /completions), GET /health
// (and /v1/health), GET /slots, GET /props. OpenAI / vLLM: POST
// /v1/completions, POST /v1/chat/completions, GET /v1/models. Ollama: POST
// /api/generate, POST /api/chat (an empty prompt loads a model, after the
// switch time, or with keep_alive 0 unloads it), GET /api/version, GET
// /api/tags, GET /api/ps (the loaded models). Control: POST and GET
// /_sim/faults, GET /_sim/stats (?wait_idle=1&timeout_ms=N).
//
// # Where the wire formats come from
//
// llama.cpp, tools/server in ggml-org/llama.cpp master (server-task.cpp,
// server-context.cpp, server-common.cpp, server-http.cpp):
//   - stream frames are format_oai_sse: "data: " + json.dump() + "\n\n",
//     compact nlohmann::ordered_json, raw UTF-8, no "[DONE]" on /completion;
//   - partial frame (server_task_result_cmpl_partial::to_json_non_oaicompat):
//     index, content, tokens, stop=false, id_slot, tokens_predicted,
//     tokens_evaluated, and timings when the slot already stopped (a stop word);
//   - final frame (server_task_result_cmpl_final::to_json_non_oaicompat):
//     index, content, tokens, id_slot, stop=true, model, tokens_predicted,
//     tokens_evaluated, generation_settings, prompt, has_new_line, truncated,
//     stop_type (none|eos|limit|word), stopping_word, tokens_cached, timings
//     {cache_n, prompt_n, prompt_ms, prompt_per_token_ms, prompt_per_second,
//     predicted_n, predicted_ms, predicted_per_token_ms,
//     predicted_per_second}; in stream mode content is "" and tokens [];
//   - process_token: the stop-word search (full match truncates and ends with
//     stop_type word; a partial match at the tail holds the text back and
//     sends an empty content; held text is dropped when the limit is hit, as
//     llama-server does); n_predict reached → limit, context full → limit and
//     truncated, end-of-generation token → eos;
//   - errors: format_error_response {"error":{"code","message","type"}},
//     503 {"code":503,"message":"Loading model","type":"unavailable_error"}
//     from the loading middleware; /health {"status":"ok"}; /slots objects
//     {id, n_ctx, speculative, is_processing, id_task, n_prompt_tokens,
//     next_token[...]}; /props {default_generation_settings{params, n_ctx},
//     total_slots, model_alias, model_path, ...}.
//
// vLLM, vllm/entrypoints/openai (completion/serving.py, chat_completion/
// serving.py, protocol.py), as v0.10 emits them (later versions add
// "token_ids":null and "prompt_token_ids":null to the choices):
//   - chunks are pydantic model_dump_json(exclude_unset=True), compact, raw
//     UTF-8, "data: ...\n\n", ending with "data: [DONE]\n\n";
//   - completion chunk: id "cmpl-<32 hex>", object "text_completion", created,
//     model, choices[{index, text, logprobs, finish_reason, stop_reason}];
//     the last token's chunk carries finish_reason (length|stop) and
//     stop_reason (the matched stop string or null);
//   - chat: object "chat.completion.chunk", first chunk delta
//     {"role":"assistant","content":""}, then delta {"content":...}; the
//     finishing chunk adds finish_reason and stop_reason;
//   - stream_options.include_usage: a last chunk with "choices":[] and usage
//     {prompt_tokens, total_tokens, completion_tokens} (UsageInfo field order);
//   - stop strings: the detokenizer holds back max(len(stop))-1 bytes until
//     the end and truncates at a match (check_stop_strings);
//   - errors {"error":{"message","type","param","code"}}; /health is 200 with
//     an empty body; /v1/models lists ModelCard objects.
//
// Ollama v0.17.4 (server/routes.go, api/types.go), checked against a real
// Ollama serving the tiny model of tools/gguf:
//   - bodies are Go's json.Marshal of the api structs: struct field order,
//     omitempty metrics, created_at as RFC 3339 with nanoseconds, strings
//     HTML-escaped (\u003c \u003e \u0026, \u2028 \u2029, \ufffd);
//   - /api/generate and /api/chat stream "application/x-ndjson" (the default;
//     "stream": false gives one JSON object): one {"model", "created_at",
//     "response" | "message": {"role", "content"}, "done": false} line per
//     token, then a done line without text: "done_reason" (stop | length),
//     "context" (generate: prompt and response token ids), total_duration,
//     load_duration, prompt_eval_count, prompt_eval_duration, eval_count,
//     eval_duration; options.num_predict (default -1: until the context is
//     full, where the simulator stops with "length" instead of shifting the
//     context), options.seed, options.stop;
//   - no input (an empty prompt or no messages) only loads the model:
//     done_reason "load", or "unload" with keep_alive 0;
//   - errors {"error": "..."}: 404 "model 'x' not found", 400 "model is
//     required"; while loading the simulator answers 503 (Ollama would hold
//     the request until the model is loaded);
//   - /api/version {"version"}, /api/tags (name "tiny:latest", modified_at,
//     size, digest, details), /api/ps (also expires_at, size_vram,
//     context_length; empty while loading).
//
// One process serves every protocol. Error bodies follow the endpoint family
// (/v1/* answers vLLM-shaped errors, the rest llama.cpp-shaped); the flavour
// option only decides what GET /health returns.
package simengine
