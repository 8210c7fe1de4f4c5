package correlation_test

import (
	"context"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
)

func TestWithAndFrom(t *testing.T) {
	is := is.New(t)
	ctx := correlation.With(context.Background(), "req-1")
	is.Equal(correlation.From(ctx), "req-1")                    // the id travels with the context
	is.Equal(correlation.From(context.Background()), "")        // none attached: empty
	is.Equal(correlation.From(correlation.With(ctx, "b")), "b") // the innermost id wins
}
