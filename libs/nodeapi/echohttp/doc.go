// Package echohttp serves the node routes of api.md §5 on an echo v4 group:
// POST /nodes/register, POST /nodes/:id/heartbeat, DELETE /nodes/:id,
// GET /nodes and GET /nodes/:id, translating the contracts/wire bodies to
// and from a nodeapi.Registry.
//
// Handlers only translate. They never write an error themselves: a failure
// is returned to echo, so the daemon's single HTTPErrorHandler maps it with
// errors.Is/errors.As — nodeapi.ErrUnknownNode → 404, nodeapi.ErrInvalid
// (a *nodeapi.ValidationError naming the field) → 400, nodeapi.ErrPoolConflict
// (a *nodeapi.PoolConflictError) → 409, *http.MaxBytesError → 413.
//
// Import rule: the only nodeapi package that imports echo; besides echo it
// imports the standard library, package nodeapi and contracts/wire.
package echohttp
