// Package artifacts stores content-addressed JSON documents: plans,
// summaries, diffs, traces, transcripts and logs (api.md §7).
//
// An artifact's id is the lowercase hex SHA-256 of the RFC 8785 (JCS)
// canonical JSON of {"content": …, "kind": …}, so the same document stored
// twice has one id and is stored once. Store is the port; MemStore and
// FileStore (one file per artifact, written atomically) are its adapters.
//
// Import rule: this package imports only the standard library (and may import
// the contracts module); it never imports another lib or the daemon.
package artifacts
