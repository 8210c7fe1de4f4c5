// Package sessions keeps orchestratord's sessions (api.md §3 "Sessions"):
// metadata only, never prompt or output text. A session is created by the
// first task that names it, lives for a TTL after its last task, counts its
// turns, remembers the pool that served its last turn (for KV-cache
// affinity) and spends its token, decode-time and cost budgets when a task
// ends; a task on a session whose budget is spent is refused (Check returns
// ErrExhausted).
//
// Memory is bounded by the TTL: sessions sit in a list ordered by expiry
// (every refresh moves one to the tail), so Sweep visits only the expired
// ones, and the index is rebuilt once it holds a quarter of its peak, since
// a Go map keeps the memory of deleted entries. Time is read only through
// an injectable clock; the only goroutine is the caller's, in Run.
//
// Durability is optional: WithJournal queues every change on a Journal,
// which commits them in groups to a Backend (the port; boltstore is its
// bbolt adapter). A spend (End) and a delete return once committed;
// creation, refresh, serving and sweeps are written behind. Load brings
// the stored live sessions back on start.
//
// Import rule: this package imports only the standard library; it never
// imports another lib or the daemon, and has no HTTP in it.
package sessions
