// Package admission holds the orchestrator's bounded two-priority admission
// queue: FIFO within a priority, interactive before batch, a capacity that
// counts waiting tasks only, the "reject" and "drop-lru" overflow policies,
// and a measured drain rate from which 429 back-off hints and predicted start
// times are computed.
//
// A Queue is a pure data structure: it starts no goroutines and is not safe
// for concurrent use; the caller serializes access (the daemon holds its
// scheduling lock around every call). Time comes from an injected clock.
//
// Import rule: this package imports the standard library only; no other
// orchestratord module may be imported from here.
package admission
