package artifacts_test

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// TestCanonicalRFC8785Examples: the examples of RFC 8785 §3.2.2 and §3.2.3.
func TestCanonicalRFC8785Examples(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "§3.2.2 primitives",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "§3.2.3 sorting by UTF-16 code units",
			in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := artifacts.Canonical(json.RawMessage(tt.in))
			is.NoErr(err)                  // canonicalizes
			is.Equal(string(got), tt.want) // RFC output
		})
	}
}

// TestCanonicalNumbers: RFC 8785 Appendix B samples (IEEE 754 bit patterns)
// and literals as a client writes them.
func TestCanonicalNumbers(t *testing.T) {
	bits := []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tt := range bits {
		t.Run(strconv.FormatUint(tt.bits, 16), func(t *testing.T) {
			is := is.New(t)
			in := strconv.FormatFloat(math.Float64frombits(tt.bits), 'g', -1, 64)
			got, err := artifacts.Canonical(json.RawMessage(in))
			is.NoErr(err)                  // canonicalizes
			is.Equal(string(got), tt.want) // ES6 number form
		})
	}
	literals := []struct{ in, want string }{
		{"1e21", "1e+21"},
		{"1e20", "100000000000000000000"},
		{"0.1", "0.1"},
		{"-0", "0"},
		{"-0.0", "0"},
		{"1E+2", "100"},
		{"1e-7", "1e-7"},
		{"0.000001", "0.000001"},
		{"123.456e2", "12345.6"},
		{"-1.5E-10", "-1.5e-10"},
		{"1e-400", "0"},
		{"100", "100"},
		{"12345678901234567890", "12345678901234567000"},
		{"[1.0,[2.50,[-0,[3e3]]]]", "[1,[2.5,[0,[3000]]]]"},
	}
	for _, tt := range literals {
		t.Run(tt.in, func(t *testing.T) {
			is := is.New(t)
			got, err := artifacts.Canonical(json.RawMessage(tt.in))
			is.NoErr(err)                  // canonicalizes
			is.Equal(string(got), tt.want) // ES6 number form
		})
	}
}

func TestCanonicalStructure(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"whitespace removed", " { \"b\" : [ 1 , 2 ] ,\n\t\"a\" : { } }\r\n", `{"a":{},"b":[1,2]}`},
		{"nested objects sorted", `{"z":{"y":1,"x":[{"b":1,"a":2}]},"a":null}`, `{"a":null,"z":{"x":[{"a":2,"b":1}],"y":1}}`},
		{"empty containers", `[[],{},[[]],""]`, `[[],{},[[]],""]`},
		{"key prefix sorts first", `{"ab":1,"a":2,"":3}`, `{"":3,"a":2,"ab":1}`},
		{"uppercase before lowercase", `{"b":1,"B":2,"a":3}`, `{"B":2,"a":3,"b":1}`},
		{"supplementary before U+E000", "{\"\ue000\":1,\"\U0001f600\":2,\"\u00e9\":3}", "{\"\u00e9\":3,\"\U0001f600\":2,\"\ue000\":1}"},
		{"same lead surrogate", "{\"\U0001f601\":1,\"\U0001f600\":2}", "{\"\U0001f600\":2,\"\U0001f601\":1}"},
		{"top-level scalar", ` "x" `, `"x"`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := artifacts.Canonical(json.RawMessage(tt.in))
			is.NoErr(err)                  // canonicalizes
			is.Equal(string(got), tt.want) // canonical form
		})
	}
}

func TestCanonicalStrings(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"short escapes", `"\b\t\n\f\r"`, `"\b\t\n\f\r"`},
		{"other controls as lowercase \\u", `"\u0000\u001F\u000B"`, `"\u0000\u001f\u000b"`},
		{"quote and backslash", `"\"\\"`, `"\"\\"`},
		{"solidus unescaped", `"\/"`, `"/"`},
		{"html characters literal", `"<>&"`, `"<>&"`},
		{"DEL literal", `"\u007f"`, "\"\x7f\""},
		{"line separators literal", `"\u2028\u2029"`, "\"\u2028\u2029\""},
		{"non-ASCII escapes decoded", `"\u00e9\u20AC"`, `"é€"`},
		{"surrogate pair decoded", `"\uD83D\uDE00"`, `"😀"`},
		{"raw UTF-8 kept", `"żółw 😀"`, `"żółw 😀"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := artifacts.Canonical(json.RawMessage(tt.in))
			is.NoErr(err)                  // canonicalizes
			is.Equal(string(got), tt.want) // JSON.stringify escaping
		})
	}
}

func TestCanonicalRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ``},
		{"only whitespace", "  \n"},
		{"trailing data", `{} {}`},
		{"trailing comma in array", `[1,]`},
		{"trailing comma in object", `{"a":1,}`},
		{"unquoted key", `{a:1}`},
		{"single quotes", `'a'`},
		{"duplicate key", `{"a":1,"a":2}`},
		{"duplicate key after unescaping", `{"a":1,"\u0061":2}`},
		{"leading zero", `01`},
		{"plus sign", `+1`},
		{"bare point", `1.`},
		{"leading point", `.5`},
		{"empty exponent", `1e`},
		{"hex", `0x10`},
		{"NaN", `NaN`},
		{"Infinity", `Infinity`},
		{"overflow", `1e400`},
		{"negative overflow", `-1e309`},
		{"lone high surrogate", `"\ud83d"`},
		{"lone low surrogate", `"\ude00"`},
		{"high surrogate then letter", `"\ud83dx"`},
		{"two high surrogates", `"\ud83d\ud83d"`},
		{"invalid UTF-8", "\"\xff\""},
		{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\""},
		{"raw control character", "\"a\nb\""},
		{"bad escape", `"\x"`},
		{"short unicode escape", `"\u12"`},
		{"unterminated string", `"abc`},
		{"unterminated array", `[1,2`},
		{"unterminated object", `{"a":1`},
		{"missing colon", `{"a" 1}`},
		{"bad literal", `nul`},
		{"capitalized literal", `True`},
		{"byte order mark", "\ufeff{}"},
		{"too deep", strings.Repeat("[", artifacts.MaxDepth+1) + strings.Repeat("]", artifacts.MaxDepth+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := artifacts.Canonical(json.RawMessage(tt.in))
			is.True(errors.Is(err, artifacts.ErrInvalid)) // rejected
		})
	}
}

func TestCanonicalDepthLimit(t *testing.T) {
	is := is.New(t)
	deep := strings.Repeat("[", artifacts.MaxDepth) + strings.Repeat("]", artifacts.MaxDepth)
	got, err := artifacts.Canonical(json.RawMessage(deep))
	is.NoErr(err)               // exactly MaxDepth is accepted
	is.Equal(string(got), deep) // unchanged
}

func TestCanonicalIdempotentAndEqual(t *testing.T) {
	is := is.New(t)
	in := `{"b":[1E2,"x\u0001",{"d":true,"c":-0.0}],"a":"€"}`
	once, err := artifacts.Canonical(json.RawMessage(in))
	is.NoErr(err) // first pass
	twice, err := artifacts.Canonical(once)
	is.NoErr(err)                         // second pass
	is.Equal(string(twice), string(once)) // idempotent

	var a, b any
	is.NoErr(json.Unmarshal([]byte(in), &a)) // input parses
	is.NoErr(json.Unmarshal(once, &b))       // output parses
	is.Equal(a, b)                           // same value
}
