// Package openaicompat is the engine adapter for OpenAI-compatible servers:
// vLLM, TGI, Ollama's /v1, llama-server's /v1 and OpenAI itself.
//
// Generate posts to /v1/completions, or to /v1/chat/completions when the
// request has messages, with "stream": true and
// "stream_options": {"include_usage": true}, and reads the Server-Sent
// Events: "data: {"choices": [{"text" | "delta": {"content"},
// "finish_reason"}]}" chunks, a usage chunk with "choices": [] and
// "usage": {"completion_tokens", "prompt_tokens"}, then "data: [DONE]". A
// stream that ends after a finish_reason without [DONE] also counts as
// complete. Errors inside the stream are {"error": {...}} (or a string, as
// TGI sends it) and older vLLM's {"object": "error", "message", "code"}.
// Only the first choice is read (the adapter never asks for n > 1); deltas
// other than "content" (roles, reasoning, tool calls) carry no text. The
// chunks of a stream repeat their leading id, object, created and model: a
// chunk that starts with the same bytes as an earlier one is read from the
// first member after them.
//
// Probe reads /health (404: the server has none, then /v1/models decides
// readiness; 503: loading), /v1/models for the model ids (and vLLM's
// max_model_len), and the version: vLLM's /version, TGI's /info.
//
// The base URL is the server root; a trailing "/v1" is accepted and dropped.
//
// Import rule: standard library and the engine module's packages only.
package openaicompat
