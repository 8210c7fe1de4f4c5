// Package placement chooses the worker pool that runs a task (api.md §5
// "Placement"): it filters the pools that can serve the request now (online,
// ready, not draining, model, engine, ctx, device mask, avoid list, a free
// slot), applies the request's pin / prefer mode and the session's affinity,
// then the configured strategy (least-loaded, round-robin or random).
//
// Placement is pure and deterministic: it reads a snapshot of pools passed by
// the caller, starts no goroutines, and its only state is the round-robin
// cursor (randomness is injected). A decision over thousands of pools does
// not allocate and, whenever an eligible pool settles it, takes one pass.
//
// Import rule: this package imports the standard library only; the daemon
// adapts its registry's pool state to Pool.
package placement
