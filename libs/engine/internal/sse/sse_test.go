package sse

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestSplit(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		line  string
		field Field
		value string
	}{
		{line: "", field: Blank},
		{line: ": ping", field: Comment},
		{line: `data: {"a":1}`, field: Data, value: `{"a":1}`},
		{line: `data:{"a":1}`, field: Data, value: `{"a":1}`},
		{line: `data:  x`, field: Data, value: ` x`},
		{line: `{"content":"x"}`, field: Data, value: `{"content":"x"}`},
		{line: "event: error", field: Event, value: "error"},
		{line: `error: {"code":500}`, field: Error, value: `{"code":500}`},
		{line: "id: 7", field: Other, value: "7"},
		{line: "data", field: Data},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			is := is.New(t)
			field, value := Split([]byte(tt.line))
			is.Equal(field, tt.field)         // field kind
			is.Equal(string(value), tt.value) // value without the optional space
		})
	}
	is.True(IsDone([]byte("[DONE]")))   // the OpenAI end marker
	is.True(IsDone([]byte(" [DONE] "))) // with stray spaces
	is.True(!IsDone([]byte("[DONE")))   // not the marker
}

// lines reads every line of src with Reader r, recording which ones were
// already buffered when the previous one was returned.
func lines(r *Reader, src io.Reader) (got []string, buffered []bool, partial []bool, err error) {
	r.Reset(src)
	for {
		line, part, err := r.Line()
		if err != nil {
			return got, buffered, partial, err
		}
		got = append(got, string(line))
		partial = append(partial, part)
		buffered = append(buffered, r.LineBuffered())
	}
}

func TestReader(t *testing.T) {
	is := is.New(t)
	r := NewReader(16, 64)
	got, buffered, partial, err := lines(r, strings.NewReader("a\r\nbb\n\nlonger than sixteen bytes\nend"))
	is.Equal(err, io.EOF)                                                      // ends with io.EOF
	is.Equal(got, []string{"a", "bb", "", "longer than sixteen bytes", "end"}) // lines without terminators, long ones assembled
	is.Equal(partial, []bool{false, false, false, false, true})                // the unterminated last line is partial
	is.Equal(buffered[0], true)                                                // "bb" was already buffered after "a"

	_, _, _, err = lines(r, strings.NewReader(strings.Repeat("x", 100)+"\n"))
	is.True(errors.Is(err, ErrLineTooLong)) // a line over the limit is refused

	r.Reset(strings.NewReader("rest of the stream"))
	is.True(r.Discard(1 << 10)) // reaches the end within the limit
	r.Reset(strings.NewReader(strings.Repeat("y", 100)))
	is.True(!r.Discard(10)) // gives up at the limit
}
