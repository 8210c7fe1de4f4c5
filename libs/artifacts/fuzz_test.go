package artifacts_test

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// FuzzCanonical: whatever Canonical accepts, its output is valid JSON that
// parses to a value equal to the input's, and canonicalizing it again changes
// nothing.
func FuzzCanonical(f *testing.F) {
	seeds := []string{
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
		"{\"\u20ac\":1,\"\\r\":2,\"\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\u0080\":6,\"\u00f6\":7}",
		`[1e21,1e-7,-0,0.1,1E+2,5e-324,1.7976931348623157e308,[[[]]],{}]`,
		`{"a":{"b":{"c":[1,2,{"d":"\u0000"}]}}}`,
		`"\ud83d\ude00"`, `true`, `null`, `-12.5e-3`, `{"a":1,"a":2}`, `[1,]`, "\"\xff\"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		is := is.New(t)
		out, err := artifacts.Canonical(in)
		if err != nil {
			return // rejected input: nothing to check
		}
		is.True(json.Valid(out)) // output is JSON

		again, err := artifacts.Canonical(out)
		is.NoErr(err)                        // output is accepted again
		is.Equal(string(again), string(out)) // idempotent

		var want, got any
		is.NoErr(json.Unmarshal(in, &want)) // encoding/json accepts what Canonical accepts
		is.NoErr(json.Unmarshal(out, &got)) // and the output
		is.Equal(got, want)                 // the same value
	})
}
