// Package correlation carries a request's correlation id (api.md §2) in its
// context, so every log line the request causes names it: the access line
// the HTTP layer writes and the state changes of the task it submitted.
package correlation

import "context"

// Field is the log field of a correlation id.
const Field = "correlation_id"

type key struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the correlation id ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}
