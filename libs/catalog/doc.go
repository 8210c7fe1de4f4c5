// Package catalog holds the model catalog of orchestratord (api.md §6): the
// entries operators register (id, digest, source, manifests, signatures,
// SBOM, trust policy), their lifecycle (Active, Retired with a deadline for
// running tasks), real verification of file:// sources by streaming them
// through SHA-256, and the admission gate the task service asks before it
// queues a task (Admit: retired → ErrRetired, untrusted → ErrUntrusted).
//
// Persistence sits behind the Store port; MemStore is the in-memory adapter
// and the catalogtest package holds the contract suite every adapter runs.
// The Catalog keeps an index of states in memory so that Admit is one map
// lookup under a read lock, without allocation. It reads time only through
// an injectable clock and starts no goroutines. HTTP routes are the
// daemon's: this package has no HTTP in it.
//
// Import rule: this package imports only the standard library; it never
// imports another lib or the daemon.
package catalog
