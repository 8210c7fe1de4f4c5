package artifacts_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

func TestIDHashesCanonicalKindAndContent(t *testing.T) {
	is := is.New(t)
	id, err := artifacts.ID("plan", json.RawMessage(` { "steps" : [ 1.0 , "b" ], "a": 1E2 } `))
	is.NoErr(err) // computes
	sum := sha256.Sum256([]byte(`{"content":{"a":100,"steps":[1,"b"]},"kind":"plan"}`))
	is.Equal(id, hex.EncodeToString(sum[:])) // sha256 of the canonical {content, kind}
	is.True(artifacts.ValidID(id))           // a valid id

	same, err := artifacts.ID("plan", json.RawMessage(`{"a":100,"steps":[1,"b"]}`))
	is.NoErr(err)      // computes
	is.Equal(same, id) // formatting does not change the id

	other, err := artifacts.ID("summary", json.RawMessage(`{"a":100,"steps":[1,"b"]}`))
	is.NoErr(err)        // computes
	is.True(other != id) // the kind is part of the id

	_, err = artifacts.ID("plan", json.RawMessage(`{"a":1,"a":2}`))
	is.True(errors.Is(err, artifacts.ErrInvalid)) // content must canonicalize
	_, err = artifacts.ID("plan", json.RawMessage(`1,"kind":"x"`))
	is.True(errors.Is(err, artifacts.ErrInvalid)) // content is one value: no injection of members
	_, err = artifacts.ID("pl\xffan", json.RawMessage(`1`))
	is.True(errors.Is(err, artifacts.ErrInvalid)) // kind must be UTF-8
}

func TestValidID(t *testing.T) {
	valid := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"64 lowercase hex", valid, true},
		{"empty", "", false},
		{"short", valid[:63], false},
		{"long", valid + "0", false},
		{"uppercase", strings.ToUpper(valid), false},
		{"non-hex letter", "g" + valid[1:], false},
		{"path traversal", "../x", false},
		{"traversal padded to 64", "../" + valid[3:], false},
		{"slash inside", valid[:2] + "/" + valid[3:], false},
		{"with suffix", valid[:59] + ".json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(artifacts.ValidID(tt.id), tt.want) // id rule
		})
	}
}

func TestValidKind(t *testing.T) {
	tests := []struct {
		kind string
		want bool
	}{
		{"plan", true}, {"summary", true}, {"diff", true}, {"trace", true},
		{"transcript", true}, {"logs", true}, {"other", true},
		{"", false}, {"Plan", false}, {"image", false},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			is := is.New(t)
			is.Equal(artifacts.ValidKind(tt.kind), tt.want) // closed set of kinds
		})
	}
}
