// Package engine is the port orchestratord drives inference engines through:
// the request and result of one generation, the health and load of an engine,
// and the one error type every adapter reports failures with.
//
// The adapters live in subpackages: llamacpp (llama.cpp llama-server) and
// openaicompat (vLLM, TGI, Ollama's /v1 and any other OpenAI-compatible
// server) and ollama (Ollama's native /api). Each turns the engine's own event stream into batches of chunk
// texts and maps its failures to an [ErrorKind], so the caller can tell a
// failure that is safe to retry on another engine (nothing was streamed yet)
// from one that ends a stream already under way.
//
// Import rule: this module uses only the standard library; it imports no
// other orchestratord module, and the daemon consumes it through [Client].
package engine
