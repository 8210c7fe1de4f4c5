package jsonscan

import (
	"testing"

	"github.com/matryer/is"
)

// fields reads the members it knows of a test object.
type fields struct {
	text  string
	stop  bool
	count int64
	other int
}

func scan(c *Cursor, doc string) (fields, bool) {
	var f fields
	c.Reset([]byte(doc))
	m := c.Object()
	for key, ok := m.Next(); ok; key, ok = m.Next() {
		switch string(key) {
		case "content":
			f.text, _ = c.Text()
		case "raw":
			s, _ := c.AppendString(nil)
			f.text = string(s)
		case "appended":
			s, _ := c.AppendText([]byte("<"))
			f.text = string(s)
		case "stop":
			f.stop, _ = c.Bool()
		case "n":
			f.count, _ = c.Int()
		default:
			f.other++
			c.Skip()
		}
	}
	return f, c.AtEnd()
}

func TestCursor(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		doc  string
		want fields
		ok   bool
	}{
		{name: "fields", doc: `{"content":"hi\n","stop":true,"n":42}`, want: fields{text: "hi\n", stop: true, count: 42}, ok: true},
		{name: "spaces", doc: " { \"n\" : -7 , \"stop\" : false } \r\n", want: fields{count: -7}, ok: true},
		{name: "nested skipped", doc: `{"a":{"content":"no","b":[1,2.5e3,{"c":null}]},"content":"yes","d":[]}`, want: fields{text: "yes", other: 2}, ok: true},
		{name: "escaped key", doc: `{"cont\u0065nt":"k"}`, want: fields{text: "k"}, ok: true},
		{name: "escaped text", doc: `{"content":"\u00e9\ud83d\ude00\t"}`, want: fields{text: "é😀\t"}, ok: true},
		{name: "append string", doc: `{"raw":"a\/b"}`, want: fields{text: "a/b"}, ok: true},
		{name: "appended text", doc: `{"appended":"a\u00e9"}`, want: fields{text: "<aé"}, ok: true},
		{name: "appended null", doc: `{"appended":null}`, want: fields{text: "<"}, ok: true},
		{name: "appended bad escape", doc: `{"appended":"ab\x"}`, want: fields{text: "<"}, ok: false},
		{name: "bad escape in text", doc: `{"content":"\x"}`, ok: false},
		{name: "null content", doc: `{"content":null}`, ok: true},
		{name: "fraction not int", doc: `{"n":1.5}`, ok: true},
		{name: "exponent not int", doc: `{"n":1e3}`, ok: true},
		{name: "zero", doc: `{"n":-0}`, ok: true},
		{name: "largest int", doc: `{"n":9223372036854775807}`, want: fields{count: 1<<63 - 1}, ok: true},
		{name: "smallest read", doc: `{"n":-9223372036854775807}`, want: fields{count: -(1<<63 - 1)}, ok: true},
		{name: "too large", doc: `{"n":9223372036854775808}`, ok: true},
		{name: "18 digits", doc: `{"n":123456789012345678}`, want: fields{count: 123456789012345678}, ok: true},
		{name: "minus alone", doc: `{"n":-}`, ok: false},
		{name: "int then garbage", doc: `{"n":12x}`, want: fields{count: 12}, ok: false},
		{name: "empty object", doc: `{}`, ok: true},
		{name: "missing colon", doc: `{"n" 1}`, ok: false},
		{name: "trailing comma", doc: `{"n":1,}`, want: fields{count: 1}, ok: false},
		{name: "missing comma", doc: `{"n":1 "stop":true}`, want: fields{count: 1}, ok: false},
		{name: "cut", doc: `{"content":"abc`, ok: false},
		{name: "trailing garbage", doc: `{"n":1} x`, want: fields{count: 1}, ok: false},
		{name: "bad literal", doc: `{"x":nul}`, want: fields{other: 1}, ok: false},
		{name: "bad escape skipped", doc: `{"x":"\q"}`, want: fields{other: 1}, ok: false},
		{name: "leading zero", doc: `{"x":01}`, want: fields{other: 1}, ok: false},
		{name: "not an object", doc: `[1]`, ok: false},
	}
	var c Cursor
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, ok := scan(&c, tt.doc)
			is.Equal(ok, tt.ok)    // well-formedness
			is.Equal(got, tt.want) // fields read
		})
	}
}

func TestCursorDepthLimit(t *testing.T) {
	is := is.New(t)
	deep := make([]byte, 0, 2*(maxDepth+10))
	for range maxDepth + 5 {
		deep = append(deep, '[')
	}
	for range maxDepth + 5 {
		deep = append(deep, ']')
	}
	var c Cursor
	c.Reset(deep)
	is.True(!c.Skip()) // nesting beyond the limit is refused, not recursed into
	is.True(c.Bad())   // and marks the cursor bad
}

func TestCursorDoesNotAllocate(t *testing.T) {
	is := is.New(t)
	doc := []byte(`{"index":0,"content":"tok","tokens":[1,2],"stop":false,"id_slot":0,"tokens_predicted":3}`)
	var c Cursor
	allocs := testing.AllocsPerRun(100, func() {
		c.Reset(doc)
		m := c.Object()
		for key, ok := m.Next(); ok; key, ok = m.Next() {
			switch string(key) {
			case "content":
				c.RawString()
			case "tokens_predicted":
				c.Int()
			default:
				c.Skip()
			}
		}
	})
	is.Equal(allocs, 0.0) // scanning a token frame allocates nothing
}

func TestResumeObject(t *testing.T) {
	is := is.New(t)
	first := []byte(`{"id":"a", "n":1 ,"content":"x"}`)
	var c Cursor
	c.Reset(first)
	m := c.Object()
	var commas []int
	for _, ok := m.Next(); ok; _, ok = m.Next() {
		c.Skip()
		commas = append(commas, m.Comma())
	}
	is.True(c.AtEnd())                                          // the first text is well-formed
	is.Equal(commas, []int{9, 17, -1})                          // the ',' after each member, none after the last
	is.Equal(first[:commas[1]+1], []byte(`{"id":"a", "n":1 ,`)) // the prefix a resumed read skips

	tests := []struct {
		name string
		doc  string
		want fields
		ok   bool
	}{
		{name: "rest", doc: `{"id":"a", "n":1 ,"content":"y","stop":true}`, want: fields{text: "y", stop: true}, ok: true},
		{name: "space after the comma", doc: `{"id":"a", "n":1 , "content":"y"}`, want: fields{text: "y"}, ok: true},
		{name: "trailing comma", doc: `{"id":"a", "n":1 ,}`, ok: false},
		{name: "cut", doc: `{"id":"a", "n":1 ,"content":`, want: fields{}, ok: false},
		{name: "not closed", doc: `{"id":"a", "n":1 ,"stop":false`, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var got fields
			m := c.ResumeObject([]byte(tt.doc), commas[1])
			for key, ok := m.Next(); ok; key, ok = m.Next() {
				switch string(key) {
				case "content":
					got.text, _ = c.Text()
				case "stop":
					got.stop, _ = c.Bool()
				default:
					got.other++
					c.Skip()
				}
			}
			is.Equal(c.AtEnd(), tt.ok) // well-formedness of the rest
			is.Equal(got, tt.want)     // only the members after the ',' are read
		})
	}
	m = c.ResumeObject([]byte(`{"id":"a"}`), 4)
	_, ok := m.Next()
	is.True(!ok && c.Bad()) // an offset that is not a ',' is refused
}
