package artifacts_test

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

func TestAppendCanonicalNumber(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1.5, "-1.5"},
		{100, "100"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{1e-7, "1e-7"},
		{0.000001, "0.000001"},
		{4.5, "4.5"},
		{333333333.33333329, "333333333.3333333"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{math.Inf(-1), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			is := is.New(t)
			got := artifacts.AppendCanonicalNumber([]byte("x:"), tt.f)
			is.Equal(string(got), "x:"+tt.want) // appended in ES6 form
		})
	}
}

func TestAppendStringIsCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"\"\\/", `"\"\\/"`},
		{"\b\t\n\f\r\x00\x1f\x7f", `"\b\t\n\f\r\u0000\u001f` + "\x7f\""},
		{"\u2028<>&é😀", "\"\u2028<>&é😀\""},
		{"bad\xffutf8", "\"bad\ufffdutf8\""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			is := is.New(t)
			got := artifacts.AppendString(nil, tt.in)
			is.Equal(string(got), tt.want) // JCS escaping
			again, err := artifacts.Canonical(got)
			is.NoErr(err)                    // a valid JSON string
			is.Equal(string(again), tt.want) // already canonical
			fromBytes := artifacts.AppendBytes([]byte("x"), []byte(tt.in))
			is.Equal(string(fromBytes), "x"+tt.want) // AppendBytes writes the same
		})
	}
}

// FuzzAppendCanonicalNumber: every finite double is written in the form
// Canonical keeps, and parses back to the same value.
func FuzzAppendCanonicalNumber(f *testing.F) {
	for _, v := range []float64{0, 1, -1.5, 1e21, 1e-7, 5e-324, math.MaxFloat64, 333333333.33333329, 0.1} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		is := is.New(t)
		v := math.Float64frombits(bits)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // written as null; covered by TestAppendCanonicalNumber
		}
		out := artifacts.AppendCanonicalNumber(nil, v)
		again, err := artifacts.Canonical(json.RawMessage(out))
		is.NoErr(err)                        // valid JSON
		is.Equal(string(again), string(out)) // canonical already
		back, err := strconv.ParseFloat(string(out), 64)
		is.NoErr(err)      // parses
		is.True(back == v) // to the same value (-0 reads back as 0)
	})
}
