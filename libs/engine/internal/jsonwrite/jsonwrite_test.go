package jsonwrite_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonwrite"
)

// reference is what the writer must match, encoded by encoding/json.
type reference struct {
	S    string   `json:"s"`
	N    int64    `json:"n"`
	F    float64  `json:"f"`
	B    bool     `json:"b"`
	SS   []string `json:"ss"`
	Objs []item   `json:"objs"`
}

type item struct {
	A string `json:"a"`
}

func encodeRef(t testing.TB, r reference) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func write(r reference) (string, error) {
	o := jsonwrite.New(nil)
	o.String("s", r.S)
	o.Int("n", r.N)
	if err := o.Float("f", r.F); err != nil {
		return "", err
	}
	o.Bool("b", r.B)
	o.Strings("ss", r.SS)
	o.Objects("objs", len(r.Objs), func(i int, it *jsonwrite.Object) { it.String("a", r.Objs[i].A) })
	return string(o.Finish()), nil
}

func TestMatchesEncodingJSON(t *testing.T) {
	tests := []reference{
		{S: "plain", N: 1, F: 0.7, B: true, SS: []string{}, Objs: []item{}},
		{S: "<html> & \"quotes\" \\ \n\t\r\b\f \x00\x1f \u2028\u2029 é😀", N: -42, F: 1e-7, SS: []string{"\nUser:", ""}, Objs: []item{{"x"}, {"<"}}},
		{S: "bad\xffutf8\xc3", N: math.MaxInt64, F: 1e21, SS: []string{"a\xff"}, Objs: []item{{"\xfe"}}},
		{S: "", N: math.MinInt64, F: 123456789.125, SS: []string{}, Objs: []item{}},
		{F: 5e-324, SS: []string{}, Objs: []item{}},
		{F: -1.5e-9, SS: []string{}, Objs: []item{}},
		{F: math.Copysign(0, -1), SS: []string{}, Objs: []item{}},
		{F: math.MaxFloat64, SS: []string{}, Objs: []item{}},
	}
	for _, r := range tests {
		t.Run(r.S, func(t *testing.T) {
			is := is.New(t)
			got, err := write(r)
			is.NoErr(err)                  // writable
			is.Equal(got, encodeRef(t, r)) // byte for byte encoding/json
		})
	}
}

func TestNonFiniteFloatsAreErrors(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		is := is.New(t)
		_, err := write(reference{F: f})
		is.True(err != nil) // JSON has no NaN or infinity
	}
}

func FuzzMatchesEncodingJSON(f *testing.F) {
	f.Add("a<b>&\u2028", int64(7), 0.1, "\xff", true)
	f.Add("", int64(-1), 1e-9, "\n", false)
	f.Fuzz(func(t *testing.T, s string, n int64, fl float64, e string, b bool) {
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			return
		}
		r := reference{S: s, N: n, F: fl, B: b, SS: []string{e, s}, Objs: []item{{e}}}
		got, err := write(r)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeRef(t, r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
