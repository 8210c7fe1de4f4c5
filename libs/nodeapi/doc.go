// Package nodeapi holds the node and pool registry of orchestratord: GPU nodes
// register their engine pools and heartbeat their state, static pools of the
// home profile are registered once and fed by the daemon's own probes, and
// placement reads one consistent snapshot of every pool either way.
//
// The Registry is the core; it starts no goroutines and reads time only
// through an injectable clock, so the caller drives expiry by calling
// Registry.Expire on its own ticker. The echo handlers of the /v2/nodes
// routes live in subpackage echohttp, and the client a node agent uses in
// subpackage nodeclient.
//
// Import rule: this package imports only the standard library (and may import
// the contracts module); it never imports another lib or the daemon. Only
// echohttp imports echo.
package nodeapi
