// Package loadgen is the load generator of the orchestratord benchmarks: N
// concurrent closed-loop clients, bounded by a duration and/or a request
// count, against one of five targets — an engine directly ("direct"), the
// engine behind a plain httputil.ReverseProxy that loadgen starts in-process
// ("proxy"), orchestratord's task API with its event streams ("orchd"),
// orchestratord's admission alone ("admit"), or orchestratord's
// OpenAI-compatible streamed chat completions ("openai"). It reports
// requests/s, tokens/s, time to first token, latency, errors and incomplete
// streams, and the CPU time per request of the processes that share the
// machine, read from /proc: its own (the clients) always, and optionally a
// relay's (with its peak RSS) and an engine's.
//
// Import rule: standard library only. It speaks the wire formats (OpenAI
// completions and chat completions SSE, orchestratord's /v2 SSE) itself and
// imports no other module of the workspace.
package loadgen
