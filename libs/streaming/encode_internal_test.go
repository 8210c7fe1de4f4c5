package streaming

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/matryer/is"
)

// stdTokenJSON is what encoding/json (HTML escaping off) makes of a token.
func stdTokenJSON(tb testing.TB, text string, index int) string {
	tb.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		T string `json:"t"`
		I int    `json:"i"`
	}{text, index})
	if err != nil {
		tb.Fatalf("encoding/json: %v", err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendTokenJSONMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		index int
	}{
		{"empty", "", 0},
		{"ascii", "Hello, world", 1},
		{"leading space", " the", 42},
		{"quote and backslash", `say "hi" \ bye`, 7},
		{"short escapes", "\b\f\n\r\t", 3},
		{"other controls", "\x00\x01\x1f\x7f", 4},
		{"html stays plain", "<a href='x'>&amp;</a>", 5},
		{"line and paragraph separators", "a\u2028b\u2029c", 6},
		{"multi-byte", "héllo 世界 🎉", 8},
		{"valid U+FFFD", "\uFFFD", 9},
		{"invalid byte", "a\xffb", 10},
		{"truncated rune", "\xe4\xb8", 11},
		{"surrogate half", "\xed\xa0\x80", 12},
		{"overlong", "\xc0\xaf", 13},
		{"large index", "x", 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got := string(appendTokenJSON(nil, tt.text, tt.index))
			is.Equal(got, stdTokenJSON(t, tt.text, tt.index)) // same bytes as encoding/json
		})
	}
}

func TestAppendTokenJSONExactShape(t *testing.T) {
	is := is.New(t)
	got := string(appendTokenJSON([]byte("prefix"), "a\"b", 3))
	is.Equal(got, `prefix{"t":"a\"b","i":3}`) // appends {"t":…,"i":N} after dst
}

func FuzzTokenEncoding(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x1f", "\u2028\u2029", "\xff\xfe", "世界", "\xe2\x80", "<>&"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, text string, index int) {
		index &= 1<<31 - 1
		got := appendTokenJSON(nil, text, index)
		if want := stdTokenJSON(t, text, index); string(got) != want {
			t.Fatalf("appendTokenJSON(%q, %d) = %s, encoding/json = %s", text, index, got, want)
		}
		if bytes.ContainsAny(got, "\r\n") {
			t.Fatalf("appendTokenJSON(%q) contains a line break: %s", text, got)
		}
	})
}

func BenchmarkTokenJSON(b *testing.B) {
	benches := []struct {
		name string
		text string
	}{
		{"ascii", " token"},
		{"word", " internationalization"},
		{"escapes", "\"quoted\"\n\ttab"},
		{"utf8", " 世界"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			buf := make([]byte, 0, 128)
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.text)))
			for i := 0; b.Loop(); i++ {
				buf = appendTokenJSON(buf[:0], bb.text, i)
			}
		})
	}
}

func TestFinishTrimsOnlyLargeSpareRoom(t *testing.T) {
	is := is.New(t)
	end := func(int) (string, []byte) { return "end", []byte(`{}`) }
	big := NewLog()
	big.Grow(1<<20, 1<<12)
	_, err := big.AppendTokens([]string{"a", "b"})
	is.NoErr(err) // tokens
	_, err = big.Finish(end)
	is.NoErr(err)                              // finished
	is.Equal(cap(big.buf), len(big.buf))       // a megabyte of spare room is given back
	is.Equal(cap(big.frames), len(big.frames)) // and so are 4,096 frame records
	small := NewLog()
	small.Grow(2<<10, 8)
	_, err = small.AppendTokens([]string{"a", "b"})
	is.NoErr(err) // tokens
	_, err = small.Finish(end)
	is.NoErr(err)                            // finished
	is.True(cap(small.buf) > len(small.buf)) // a little room is not worth a copy
}

func TestGrowLeavesRoomForTheStream(t *testing.T) {
	is := is.New(t)
	texts := []string{" one", " two", " six", " ten", "\n", " a", " b", " c"}
	logs := make([]*Log, 2) // AllocsPerRun runs once more than asked
	for i := range logs {
		logs[i] = NewLog()
		_, err := logs[i].Append("started", []byte(`{"queue_position":0,"predicted_start_ms":0}`))
		is.NoErr(err) // started
		logs[i].Grow(64*48, 65)
	}
	next := 0
	allocs := testing.AllocsPerRun(1, func() {
		l := logs[next]
		next++
		for range 8 {
			if _, err := l.AppendTokens(texts); err != nil {
				t.Error(err)
			}
		}
	})
	is.Equal(allocs, 0.0)                 // 64 token frames fit in the room Grow made
	is.Equal(logs[1].Tokens(), 64)        // all appended
	is.True(cap(logs[1].buf) >= 64*48+43) // Grow made room for n more bytes
}

func TestReserveRoundsUpToTheSizeClass(t *testing.T) {
	is := is.New(t)
	b := reserve([]byte(nil), 3000)
	is.Equal(len(b), 0)      // nothing appended
	is.Equal(cap(b), 3072)   // the size class 3000 bytes take anyway
	b = reserve(b[:3000], 1) // room left: no copy
	is.Equal(cap(b), 3072)   // unchanged
	b = reserve(b, 100)      // at least doubles
	is.Equal(len(b), 3000)   // keeps the frames
	is.True(cap(b) >= 6144)  // doubled
}
