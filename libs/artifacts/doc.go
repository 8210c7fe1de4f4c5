// Package artifacts stores content-addressed JSON documents: plans,
// summaries, diffs, traces, transcripts and logs (api.md §7).
//
// An artifact's id is the lowercase hex SHA-256 of the RFC 8785 (JCS)
// canonical JSON of {"content": …, "kind": …}, so the same document stored
// twice has one id and is stored once. Canonical recognizes input that is
// canonical already in one allocation-free pass; AppendString and
// AppendCanonicalNumber help callers build such documents.
//
// Store is the port; its adapters are MemStore, FileStore (one file per
// artifact, written atomically) and BoltStore (one bbolt file, documents
// appended in the order they are stored with an index by id that is merged
// in bulk, concurrent Puts sharing one transaction and one fsync).
//
// Import rule: this package imports the standard library and go.etcd.io/bbolt
// (and may import the contracts module); it never imports another lib or the
// daemon.
package artifacts
