package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

func TestIDs(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name       string
		in         string
		id         bool
		modelRef   bool
		artifactID bool
	}{
		{"ulid", "01HZX3M8Q9W7V6T5S4R3P2N1M0", true, true, false},
		{"all punctuation", "a._:@+-b", true, true, false},
		{"max length", strings.Repeat("a", 128), true, true, false},
		{"too long", strings.Repeat("a", 129), false, false, false},
		{"empty", "", false, false, false},
		{"slash", "org/model", false, true, false},
		{"space", "a b", false, false, false},
		{"percent", "org%2Fmodel", false, false, false},
		{"unicode", "modèle", false, false, false},
		{"artifact id", hex64, true, true, true},
		{"upper hex", strings.ToUpper(hex64), true, true, false},
		{"short hex", hex64[:63], true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(wire.ValidID(tt.in), tt.id)                 // task/session/node/pool id rule
			is.Equal(wire.ValidModelRef(tt.in), tt.modelRef)     // model ref rule
			is.Equal(wire.ValidArtifactID(tt.in), tt.artifactID) // artifact id rule
		})
	}
}

func TestValidDigest(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	tests := []struct {
		in   string
		want bool
	}{
		{"sha256:" + hex64, true},
		{hex64, false},
		{"sha512:" + hex64, false},
		{"sha256:" + hex64[:62], false},
		{"sha256:" + strings.ToUpper(hex64), false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			is := is.New(t)
			is.Equal(wire.ValidDigest(tt.in), tt.want) // sha256:<64 lowercase hex>
		})
	}
}

func TestFieldError(t *testing.T) {
	is := is.New(t)
	var err error = &wire.FieldError{Field: "ctx", Reason: "must be at least 1"}
	is.True(errors.Is(err, wire.ErrInvalidField)) // wraps the sentinel
	var fe *wire.FieldError
	is.True(errors.As(err, &fe))                     // typed error
	is.Equal(fe.Field, "ctx")                        // names the field
	is.Equal(err.Error(), "ctx: must be at least 1") // readable message
}
