// Package gguf writes and reads GGUF v3 files, the model format of
// llama.cpp (ggml/docs/gguf.md), and builds a tiny random llama model that
// llama.cpp (and Ollama through it) loads and runs on a CPU in milliseconds.
//
// The model is for end-to-end tests of orchestratord against real
// inference: no weights can be downloaded in CI, and a random model makes
// the engine's real code paths (tokenizer, sampling, KV cache, slots,
// streaming) run all the same. It is deterministic: the same Config (seed
// included) gives a byte-identical file.
//
// Import rule: standard library only.
package gguf
