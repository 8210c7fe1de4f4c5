// Package nodeclient is the client a node agent uses to talk to
// orchestratord's node routes (api.md §5): register, heartbeat and
// deregister, with the node token as a bearer token.
//
// A heartbeat or deregistration of a node the orchestrator does not know
// (404, e.g. after an orchestrator restart) fails with ErrUnknownNode: the
// agent registers again. Every other non-2xx answer is a *StatusError
// carrying the error envelope; transport failures are returned as they are.
//
// Import rule: standard library and contracts/wire only.
package nodeclient
