// Command benchrun is the end-to-end benchmark behind `make bench`: it
// starts the simulated engine and orchestratord from a bin directory, drives
// closed-loop 64-token streams at them with package loadgen — the engine
// directly, a plain httputil.ReverseProxy, and orchestratord, one after
// another against the same engine process — plus admission alone, and prints
// a markdown report (or JSON) with the machine, the exact command, every run
// and the best and median of each point. Every run also measures the CPU per
// stream of each process on the machine — the engine, the relay (the proxy
// or orchestratord) and benchrun's own process, where the clients run — and
// the throughput scenarios sum them up: on a machine where they share the
// cores, tokens/s follows the total, not the relay's share alone.
//
//	benchrun --bin bin --duration 5s --repeat 2 --scenarios c1,saturated,unsaturated,lockstep,rss512,admit
//
// Scenarios: c1 (one stream at a time: TTFT added), saturated (256 streams,
// no delay between tokens: tokens/s against direct, and orchestratord's
// OpenAI-compatible POST /v1/chat/completions measured after its /v2 API,
// with the ratio of the two), unsaturated (64 streams,
// 5 ms between tokens, the clients' first requests spread over one stream's
// length: TTFT added), lockstep (the same with every client starting at
// once, so that they arrive in bursts of 64: TTFT added), rss512 (512 streams: orchestratord CPU per
// stream and peak RSS) and admit (POST /v2/tasks per second against a daemon
// whose only pool is a closed port, so every task stays queued).
//
// Flags: --bin DIR (default bin), --duration (5s per measured run), --repeat
// (2), --warmup (1s per target and scenario), --retention (the daemon's
// events.retention_ms, 2s), --scenarios (comma list, default all), --json
// (print JSON instead of markdown), --out FILE (also write the markdown).
//
// Every child binds 127.0.0.1, is stopped (SIGTERM, then SIGKILL) when its
// scenario ends, on error and on SIGINT, and dies with benchrun on Linux;
// temporary directories are removed. Every wait is bounded in time.
//
// Import rule: package loadgen and the standard library; the engine and the
// daemon are run as processes, never imported.
package main
