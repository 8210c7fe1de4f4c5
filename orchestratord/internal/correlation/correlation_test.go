package correlation_test

import (
	"context"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/orchestratord/internal/correlation"
)

type otherKey struct{}

func TestWithAndFrom(t *testing.T) {
	is := is.New(t)
	ctx := correlation.With(context.Background(), "req-1")
	is.Equal(correlation.From(ctx), "req-1")                    // the id travels with the context
	is.Equal(correlation.From(context.Background()), "")        // none attached: empty
	is.Equal(correlation.From(correlation.With(ctx, "b")), "b") // the innermost id wins
}

func TestDerivedContexts(t *testing.T) {
	is := is.New(t)
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	ctx := correlation.With(parent, "req-2")
	child, stop := context.WithTimeout(ctx, time.Hour)
	defer stop()
	is.Equal(correlation.From(child), "req-2")                                     // found through a derived context
	is.Equal(child.Value(otherKey{}), "v")                                         // other values still reach the parent
	is.Equal(correlation.From(context.WithValue(child, otherKey{}, "w")), "req-2") // and under other values
	cancel()
	<-child.Done()                          // cancellation of the parent reaches the child
	is.Equal(ctx.Err(), context.Canceled)   // and the context itself
	is.Equal(child.Err(), context.Canceled) // through it
}

func TestWithAllocatesOnce(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() { _ = correlation.From(correlation.With(ctx, "req-3")) })
	is.Equal(allocs, 1.0) // the context, with the id in it
}
