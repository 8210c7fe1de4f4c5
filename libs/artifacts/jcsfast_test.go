package artifacts

import (
	"bytes"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestIsCanonical: the fast path accepts exactly the inputs the full path
// returns unchanged, and Canonical answers as the full path does either way.
func TestIsCanonical(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tests := []struct {
		name, in string
		fast     bool
	}{
		{"transcript frame", `{"frames":[{"data":{"i":3,"t":" word"},"event":"token","id":5}],"task_id":"01J"}`, true},
		{"key out of order", `{"frames":[{"data":{"t":" word","i":3},"event":"token","id":5}],"task_id":"01J"}`, false},
		{"duplicate key", `{"a":1,"a":1}`, false},
		{"empty containers", `[{},[],""]`, true},
		{"literals", `[true,false,null]`, true},
		{"whitespace after colon", `{"a": 1}`, false},
		{"leading space", ` 1`, false},
		{"trailing newline", "1\n", false},
		{"newline in array", "[1,\n2]", false},
		{"trailing data", `{}{}`, false},
		{"trailing comma", `[1,]`, false},
		{"empty", ``, false},
		{"bad literal", `nul`, false},
		{"escaped e acute", `"\u00e9"`, false},
		{"literal e acute", `"é"`, true},
		{"literal U+2028", "\"\u2028\"", true},
		{"escaped U+2028", `"\u2028"`, false},
		{"escaped solidus", `"\/"`, false},
		{"uppercase hex escape", `"\u001F"`, false},
		{"lowercase hex escape", `"\u001f"`, true},
		{"backspace as \\u", `"\u0008"`, false},
		{"short escapes", `"\b\t\n\f\r\"\\"`, true},
		{"escaped DEL", `"\u007f"`, false},
		{"literal DEL", "\"\x7f\"", true},
		{"escaped surrogate pair", `"\ud83d\ude00"`, false},
		{"literal emoji", "\"😀\"", true},
		{"invalid UTF-8", "\"\xff\"", false},
		{"UTF-8 surrogate", "\"\xed\xa0\x80\"", false},
		{"raw control character", "\"\x01\"", false},
		{"unterminated string", `"abc`, false},
		{"long plain string", `"` + strings.Repeat("abcdefgh", 9) + `"`, true},
		{"long string quote mid-word", `"` + strings.Repeat("abcdefgh", 2) + `abc\"defgh"`, true},
		{"escaped key sorts by its value", `{"\n":1,"a":2}`, true},
		{"escaped key out of order", `{"a":1,"\n":2}`, false},
		{"quote key before #", `{"\"":1,"#":2}`, true},
		{"backslash key before ]", `{"\\":1,"]":2}`, true},
		{"backslash key after [", `{"\\":1,"[":2}`, false},
		{"\\u key before space", `{"\u001f":1," ":2}`, true},
		{"keys in UTF-16 order", "{\"\u00e9\":3,\"\U0001f600\":2,\"\ue000\":1}", true},
		{"keys in code point order only", "{\"\u00e9\":3,\"\ue000\":1,\"\U0001f600\":2}", false},
		{"same lead surrogate", "{\"\U0001f600\":2,\"\U0001f601\":1}", true},
		{"empty key first", `{"":1,"a":2,"ab":3}`, true},
		{"prefix key after longer", `{"ab":1,"a":2}`, false},
		{"duplicate empty key", `{"":1,"":2}`, false},
		{"1.0", `1.0`, false},
		{"1", `1`, true},
		{"1e2", `1e2`, false},
		{"1E+2", `1E+2`, false},
		{"100", `100`, true},
		{"-0", `-0`, false},
		{"-0.0", `-0.0`, false},
		{"0", `0`, true},
		{"-1", `-1`, true},
		{"leading zero", `01`, false},
		{"minus only", `-`, false},
		{"double minus", `--1`, false},
		{"1e21", `1e21`, false},
		{"1e+21", `1e+21`, true},
		{"1e-7", `1e-7`, true},
		{"0.000001", `0.000001`, true},
		{"0.0000001", `0.0000001`, false},
		{"4.5", `4.5`, true},
		{"4.50", `4.50`, false},
		{"shortest", `333333333.3333333`, true},
		{"not shortest", `333333333.33333329`, false},
		{"smallest subnormal", `5e-324`, true},
		{"largest double", `1.7976931348623157e+308`, true},
		{"largest negative double", `-1.7976931348623157e+308`, true},
		{"overflow", `1e400`, false},
		{"underflow", `1e-400`, false},
		{"2^53", `9007199254740992`, true},
		{"2^53+1 rounds", `9007199254740993`, false},
		{"15 digits", `999999999999999`, true},
		{"18 digits rounds", `123456789012345678`, false},
		{"1e20 in full", `100000000000000000000`, true},
		{"long number", `0.` + strings.Repeat("0", 40) + `1`, false},
		{"number in array", `[1,-2.5,3e-7]`, true},
		{"number then junk", `[1-2]`, false},
		{"max depth", deep, true},
		{"too deep", "[" + deep + "]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			in := []byte(tt.in)
			full, fullErr := canonicalFull(in)
			unchanged := fullErr == nil && string(full) == tt.in
			is.Equal(isCanonical(in), tt.fast) // fast path decision
			is.Equal(unchanged, tt.fast)       // accepted exactly when the full path leaves it as is

			got, err := Canonical(in)
			is.Equal(string(got), string(full))  // Canonical returns what the full path returns
			is.Equal(err == nil, fullErr == nil) // and accepts what it accepts
		})
	}
}

func TestCanonicalFastPathCopiesAndDoesNotAllocateATree(t *testing.T) {
	is := is.New(t)
	in := []byte(`{"frames":[{"data":{"i":3,"t":" word"},"event":"token","id":5}],"n":[1.5,1e+21],"task_id":"01J"}`)
	out, err := Canonical(in)
	is.NoErr(err)                     // canonical
	is.Equal(string(out), string(in)) // unchanged
	out[0] = 'x'                      // the result is the caller's
	is.Equal(in[0], byte('{'))        // not aliased with the input
	allocs := testing.AllocsPerRun(100, func() { _, _ = Canonical(in) })
	is.Equal(allocs, 1.0) // the returned copy only
	allocs = testing.AllocsPerRun(100, func() { _ = isCanonical(in) })
	is.Equal(allocs, 0.0) // the check itself allocates nothing
}

// FuzzCanonicalFastPath: the fast path accepts an input only when the full
// path returns it unchanged, and accepts every output of the full path; and
// Canonical answers as the full path does.
func FuzzCanonicalFastPath(f *testing.F) {
	seeds := []string{
		`{"frames":[{"data":{"i":3,"t":" word"},"event":"token","id":5}],"task_id":"01J"}`,
		`{"format":"text/event-stream","sse":"id: 1\nevent: token\ndata: {\"i\":0,\"t\":\"a\"}\n\n","task_id":"t"}`,
		`{"a":1,"a":2}`, `{"b":1,"a":2}`, `"\u00e9"`, "\"\u2028\"", `"\u2028"`, `1.0`, `1e2`, `-0`, `{"a": 1}`,
		`[1e+21,1e-7,0.000001,4.5,333333333.3333333,5e-324,9007199254740993]`,
		`{"\n":1,"\\":2,"]":3}`, "{\"\u00e9\":3,\"\U0001f600\":2,\"\ue000\":1}", `"\u001f\b"`, "\"\xff\"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		is := is.New(t)
		full, fullErr := canonicalFull(in)
		got, err := Canonical(in)
		is.Equal(string(got), string(full))  // Canonical returns what the full path returns
		is.Equal(err == nil, fullErr == nil) // and accepts what it accepts
		if fullErr != nil {
			is.True(!isCanonical(in)) // nothing the full path rejects is canonical
			return
		}
		is.True(isCanonical(full))                       // every canonical document is recognized
		is.Equal(isCanonical(in), bytes.Equal(full, in)) // and only those
	})
}
