package engine

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/matryer/is"
)

func TestErrorString(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{name: "full", err: &Error{Kind: KindUnavailable, Engine: "vllm", Status: 503, Message: "Loading model", Err: ErrEngineReported},
			want: "engine vllm: unavailable: status 503: Loading model: engine reported an error"},
		{name: "reset", err: &Error{Kind: KindReset, Engine: "llamacpp", Chunks: 3, Err: io.ErrUnexpectedEOF},
			want: "engine llamacpp: reset: unexpected EOF"},
		{name: "bare", err: &Error{Kind: KindTimeout}, want: "engine timeout"},
		{name: "unknown kind", err: &Error{Kind: ErrorKind(9), Engine: "tgi"}, want: "engine tgi: kind(9)"},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.err.Error(), tt.want) // formatted without empty parts
		})
	}
}

func TestKindString(t *testing.T) {
	is := is.New(t)
	is.Equal(KindUnavailable.String(), "unavailable") // retry elsewhere
	is.Equal(KindReset.String(), "reset")             // dropped after a chunk
	is.Equal(KindEngine.String(), "engine")           // the engine said so
	is.Equal(KindTimeout.String(), "timeout")         // no chunk in time
}

func TestErrorUnwrap(t *testing.T) {
	is := is.New(t)
	err := fmt.Errorf("dispatch: %w", &Error{Kind: KindTimeout, Err: ErrTokenTimeout})
	is.True(errors.Is(err, ErrTokenTimeout)) // the sentinel cause is reachable
	ee, ok := errors.AsType[*Error](err)
	is.True(ok)                    // the typed error is reachable
	is.Equal(ee.Kind, KindTimeout) // with its kind
}
