// Package boltstore is the embedded, durable adapter of the sessions.Backend
// port: every session is one key of one bbolt file (its id) holding a small
// binary record with a CRC-32C, written in a transaction that is on disk
// (fsync) before Commit returns, so a crash keeps every commit that
// returned and never half of one. Ids are validated before the file is
// touched; a record that cannot be read back is reported by Load and
// removed.
//
// Import rule: the standard library, the sessions package of this module,
// contracts/wire (the id rule) and go.etcd.io/bbolt; never another lib or
// the daemon.
package boltstore
