// Package streaming holds the per-task event log of orchestratord and the
// Server-Sent Events writer that relays it: the hot path of every token.
//
// A Log is an append-only sequence of numbered frames (Seq from 1). Each
// frame is encoded once, at append, as SSE
//
//	id: <seq>\nevent: <event>\ndata: <json>\n\n
//
// into one shared byte buffer; readers write the bytes they have not sent
// yet straight from it, so any number of readers, late readers and readers
// resuming with Last-Event-ID cost no re-encoding. AppendTokens encodes a
// batch of token frames ({"t":<text>,"i":<index>}, JSON escaped by hand like
// encoding/json) under one lock and wakes readers once. Finish appends the
// terminal frame atomically with respect to AppendTokens, so no token frame
// can follow it.
//
// Serve writes a log to an SSE response: one Write per batch of ready
// frames, a flush only when it has caught up, a keep-alive comment when
// idle; it stops when its context is done. A Hub maps task ids to logs and
// keeps finished logs for a retention period.
//
// Import rule: this package imports the standard library only; no other
// orchestratord module may be imported from here.
package streaming
