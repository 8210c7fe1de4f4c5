// Package httpstream is the HTTP side every engine adapter shares: it posts a
// generation, reads the event stream in batches through the adapter's line
// parser, enforces the token timeout with one timer per request, closes the
// connection on cancel, keeps it for reuse after a clean end, and maps every
// failure to an *engine.Error. It also fetches the small JSON documents the
// probes read.
//
// Import rule: standard library and the engine module's own packages only;
// internal to the engine module.
package httpstream
