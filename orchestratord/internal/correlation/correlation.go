// Package correlation carries a request's correlation id (api.md §2) in its
// context, so every log line the request causes names it: the access line
// the HTTP layer writes and the state changes of the task it submitted.
package correlation

import "context"

// Field is the log field of a correlation id.
const Field = "correlation_id"

type key struct{}

// idContext is a context carrying an id. It is context.WithValue in one
// allocation instead of two (the value would be boxed in an interface).
type idContext struct {
	context.Context
	id string
}

// Value returns the id for this package's key and defers to the parent
// otherwise.
func (c *idContext) Value(k any) any {
	if _, ok := k.(key); ok {
		return c.id
	}
	return c.Context.Value(k)
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return &idContext{Context: ctx, id: id}
}

// From returns the correlation id ctx carries, or "".
func From(ctx context.Context) string {
	if c, ok := ctx.(*idContext); ok {
		return c.id
	}
	id, _ := ctx.Value(key{}).(string)
	return id
}
