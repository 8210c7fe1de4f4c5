package jsonscan

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"
)

func TestUnescape(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		raw  string
		want string
		ok   bool
	}{
		{name: "plain", raw: `hello`, want: "hello", ok: true},
		{name: "simple escapes", raw: `a\"b\\c\/d\b\f\n\r\t`, want: "a\"b\\c/d\b\f\n\r\t", ok: true},
		{name: "bmp escape", raw: `caf\u00e9 \u20AC`, want: "café €", ok: true},
		{name: "surrogate pair", raw: `\ud83d\ude00!`, want: "😀!", ok: true},
		{name: "lone high surrogate", raw: `\ud83dx`, want: "\uFFFDx", ok: true},
		{name: "lone low surrogate", raw: `\ude00`, want: "\uFFFD", ok: true},
		{name: "high then non-surrogate escape", raw: `\ud83d\u0041`, want: "\uFFFDA", ok: true},
		{name: "two high surrogates", raw: `\ud83d\ud83d\ude00`, want: "\uFFFD😀", ok: true},
		{name: "raw utf8", raw: "naïve 日本", want: "naïve 日本", ok: true},
		{name: "invalid utf8 replaced", raw: "a\xffb", want: "a\uFFFDb", ok: true},
		{name: "cut utf8 replaced", raw: "a\xe6\x97", want: "a\uFFFD\uFFFD", ok: true},
		{name: "unknown escape", raw: `a\x`, ok: false},
		{name: "single quote escape", raw: `\'`, ok: false},
		{name: "trailing backslash", raw: `a\`, ok: false},
		{name: "short unicode escape", raw: `\u12`, ok: false},
		{name: "bad hex", raw: `\u12g4`, ok: false},
		{name: "raw control byte", raw: "a\nb", ok: false},
		{name: "raw quote", raw: `a"b`, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, ok := Unescape(nil, []byte(tt.raw))
			is.Equal(ok, tt.ok)            // accepted exactly when encoding/json accepts
			is.Equal(string(got), tt.want) // decoded value, nothing on failure
		})
	}
	is.True(!NeedsDecode([]byte("plain ascii"))) // plain ASCII needs no decoding
	is.True(NeedsDecode([]byte(`a\nb`)))         // an escape needs decoding
	is.True(NeedsDecode([]byte("é")))            // non-ASCII is checked for validity
}

func TestUnescapeAppends(t *testing.T) {
	is := is.New(t)
	got, ok := Unescape([]byte("x:"), []byte(`\u0041`))
	is.True(ok)                  // valid escape
	is.Equal(string(got), "x:A") // appended after the existing bytes
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{
		``, `plain`, `a\"b`, `\\`, `\/`, `\b\f\n\r\t`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00\ud83d`,
		`\ud83d\u0041`, `\u12`, `\x`, `\'`, "a\xffb", "\xe6\x97\xa5", "\x01", `"`, `a\`, `\uD834\uDD1E`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		quoted := make([]byte, 0, len(raw)+2)
		quoted = append(append(append(quoted, '"'), raw...), '"')
		var want string
		err := json.Unmarshal(quoted, &want)
		got, ok := Unescape(nil, raw)
		if ok != (err == nil) {
			t.Fatalf("raw %q: Unescape ok=%v, encoding/json err=%v", raw, ok, err)
		}
		if ok && string(got) != want {
			t.Fatalf("raw %q: Unescape %q, encoding/json %q", raw, got, want)
		}
		if !NeedsDecode(raw) && (!ok || string(got) != string(raw)) {
			t.Fatalf("raw %q: NeedsDecode false but the decoded value differs", raw)
		}
	})
}
