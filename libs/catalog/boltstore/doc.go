// Package boltstore is the embedded, durable adapter of the catalog.Store
// port: every entry is one key of one bbolt file, written in a transaction
// that is on disk (fsync) before Put or Delete returns, so a crash keeps
// every write that returned and never half of one.
//
// Import rule: the standard library, the catalog package of this module and
// go.etcd.io/bbolt; never another lib or the daemon.
package boltstore
