// Package nodeagent is the node agent of the cloud profile (api.md §5): it
// runs on a GPU node next to its inference engines, registers them with
// orchestratord as pools, probes each engine on every interval (llama.cpp
// /health, /slots, /props; OpenAI-compatible /health, /v1/models; Ollama
// /api/ps, /api/tags) and heartbeats their real state. A 404 on a heartbeat
// (the orchestrator restarted and forgot the node) makes it register again
// at once; while the orchestrator is unreachable it backs off with jitter
// and registers again when it answers.
//
// It serves a control API the orchestrator calls for pool control:
// POST /v2/pools/{id}/drain, /reload and /purge, guarded by the node token;
// their outcome shows in the next heartbeat (draining, ready, last_error).
//
// Time and randomness are injected (WithClock, WithRand), so tests drive the
// loop step by step.
//
// Import rule: the standard library, contracts/wire, libs/nodeapi/nodeclient,
// libs/engine and its adapters, and zerolog; nothing imports this package
// except cmd/node-agent.
package nodeagent
