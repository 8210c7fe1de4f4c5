package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestStringEnd(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name  string
		buf   string // the contents after the opening quote
		end   int
		plain bool
	}{
		{name: "empty", buf: `"`, end: 0, plain: true},
		{name: "short", buf: `ab"`, end: 2, plain: true},
		{name: "word boundary", buf: `abcdefgh"`, end: 8, plain: true},
		{name: "long", buf: strings.Repeat("x", 37) + `",`, end: 37, plain: true},
		{name: "escaped quote", buf: `a\"b"`, end: 4},
		{name: "escaped backslash", buf: `a\\"b"`, end: 3},
		{name: "three backslashes", buf: `abcdefg\\\"h"`, end: 12},
		{name: "escape past a word", buf: `abcdefghij\n"`, end: 12},
		{name: "unicode escape", buf: `\u0041"`, end: 6},
		{name: "non-ascii", buf: `café"`, end: 5},
		{name: "non-ascii late", buf: `abcdefgé"`, end: 9},
		{name: "control byte", buf: "a\tb\"", end: 3},
		{name: "delete is plain", buf: "\x7f\"", end: 1, plain: true},
		{name: "unclosed", buf: `abc`, end: -1},
		{name: "unclosed long", buf: `abcdefghijklmnop`, end: -1},
		{name: "cut after backslash", buf: `abc\`, end: -1},
		{name: "escaped last quote", buf: `abcdefghijklmno\"`, end: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			end, plain := stringEnd([]byte(tt.buf), 0)
			is.Equal(end, tt.end)     // the closing quote
			is.Equal(plain, tt.plain) // whether the contents are their value
		})
	}
	is.True(len(tests) > 0) // the table is not empty
}

// FuzzCursorString reads arbitrary bytes as the contents of a JSON string
// and checks Text, and Skip, against encoding/json.
func FuzzCursorString(f *testing.F) {
	for _, s := range []string{
		``, `plain`, `a\"b`, `\\`, `abcdefgh\\`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, "a\xffb", "\x01", `"`,
		`abcdefghijklmnopq\"rs`, `é`, `日本語のテキスト`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc := append(append([]byte(`"`), raw...), `" `...)
		var want string
		err := json.Unmarshal(doc, &want)
		var c Cursor
		c.Reset(doc)
		got, ok := c.Text()
		textOK := ok
		if ok && !c.AtEnd() {
			ok = false // a quote inside raw ended the string early
		}
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("%q: Text %q ok=%v, encoding/json %q err=%v", doc, got, ok, want, err)
		}
		c.Reset(doc)
		appended, aok := c.AppendText([]byte("x"))
		if aok != textOK || (aok && string(appended) != "x"+got) || (!aok && string(appended) != "x") {
			t.Fatalf("%q: AppendText %q ok=%v, Text %q ok=%v", doc, appended, aok, got, textOK)
		}
		c.Reset(doc)
		if skipped := c.Skip() && c.AtEnd(); skipped != (err == nil) {
			t.Fatalf("%q: Skip ok=%v, encoding/json err=%v", doc, skipped, err)
		}
	})
}

// FuzzSkip checks that Skip accepts exactly the JSON texts encoding/json
// accepts (within the nesting limit).
func FuzzSkip(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":[1,-2.5e+3,true,false,null,"x\n"]}`, ` { "a" : { } } `, `{"a":1,}`, `[1 2]`,
		`01`, `-`, `1.`, `1e`, `"\q"`, `nul`, `{"a\u0062":"c"}`, `{"a" 1}`, `[`, `{"a":"b"`, "\"\x7f\"",
		`{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"hi"},"logprobs":null}],"usage":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var c Cursor
		c.Reset(doc)
		got := c.Skip() && c.AtEnd()
		want := json.Valid(doc)
		if got != want && depth(doc) <= maxDepth {
			t.Fatalf("%q: Skip %v, json.Valid %v", doc, got, want)
		}
	})
}

// depth is an upper bound of the nesting of doc.
func depth(doc []byte) int {
	n := 0
	for _, b := range doc {
		if b == '[' || b == '{' {
			n++
		}
	}
	return n
}
