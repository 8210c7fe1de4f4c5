package openaicompat

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// rawChatLine is a vLLM chat chunk line whose content is raw, the JSON
// string contents as the engine wrote them.
func rawChatLine(raw string) []byte {
	return []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732700100,"model":"m",` +
		`"choices":[{"index":0,"delta":{"content":"` + raw + `"},"logprobs":null,"finish_reason":null}],"usage":null}`)
}

// lineResult is what Line returned, comparable in a table.
type lineResult struct {
	text      string
	done      bool
	malformed bool
	failed    bool
}

func readLine(f *frames, line []byte) lineResult {
	text, done, err := f.Line(line, nil)
	return lineResult{text: string(text), done: done, malformed: errors.Is(err, engine.ErrMalformed), failed: err != nil}
}

func TestChunkText(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		raw  string
		want lineResult
	}{
		{name: "plain", raw: ` the`, want: lineResult{text: " the"}},
		{name: "newline", raw: `a\nb`, want: lineResult{text: "a\nb"}},
		{name: "quote and backslash", raw: `say \"hi\" \\ \/`, want: lineResult{text: `say "hi" \ /`}},
		{name: "escape after eight bytes", raw: `abcdefghij\tk`, want: lineResult{text: "abcdefghij\tk"}},
		{name: "bmp escape", raw: `caf\u00e9 \u20AC`, want: lineResult{text: "café €"}},
		{name: "html escapes", raw: `\u003cb\u003e \u0026`, want: lineResult{text: "<b> &"}},
		{name: "surrogate pair", raw: `\ud83d\ude00!`, want: lineResult{text: "😀!"}},
		{name: "lone surrogate", raw: `\ud83dx`, want: lineResult{text: "\uFFFDx"}},
		{name: "raw utf8", raw: "naïve 日本", want: lineResult{text: "naïve 日本"}},
		{name: "invalid utf8", raw: "a\xffb\xe6\x97", want: lineResult{text: "a\uFFFDb\uFFFD\uFFFD"}},
		{name: "empty", raw: ``, want: lineResult{}},
		{name: "unknown escape", raw: `a\x`, want: lineResult{malformed: true, failed: true}},
		{name: "raw control byte", raw: "a\tb", want: lineResult{malformed: true, failed: true}},
		{name: "cut unicode escape", raw: `\u12`, want: lineResult{malformed: true, failed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(readLine(new(frames), rawChatLine(tt.raw)), tt.want) // decoded as encoding/json does
		})
	}
	is.True(len(tests) > 0) // the table is not empty
}

// TestChunkPrefix reads two chunks in a row: the second starts with the
// members of the first that change nothing, or with bytes that look alike.
func TestChunkPrefix(t *testing.T) {
	is := is.New(t)
	const first = `data: {"id":"c1","object":"text_completion","created":17,"model":"m","choices":[{"index":0,"text":"a"}]}`
	tests := []struct {
		name   string
		second string
		want   lineResult
	}{
		{name: "same envelope", second: `{"id":"c1","object":"text_completion","created":17,"model":"m","choices":[{"text":"b"}]}`,
			want: lineResult{text: "b"}},
		{name: "longer number", second: `{"id":"c1","object":"text_completion","created":175,"model":"m","choices":[{"text":"b"}]}`,
			want: lineResult{text: "b"}},
		{name: "other model", second: `{"id":"c1","object":"text_completion","created":17,"model":"n","choices":[{"text":"b"}]}`,
			want: lineResult{text: "b"}},
		{name: "space after the comma", second: `{"id":"c1","object":"text_completion","created":17,"model":"m", "choices":[{"text":"b"}]}`,
			want: lineResult{text: "b"}},
		{name: "trailing comma", second: `{"id":"c1","object":"text_completion","created":17,"model":"m",}`,
			want: lineResult{malformed: true, failed: true}},
		{name: "cut after the envelope", second: `{"id":"c1","object":"text_completion","created":17,"model":"m",`,
			want: lineResult{malformed: true, failed: true}},
		{name: "error object", second: `{"id":"c1","object":"error","message":"m","code":400}`,
			want: lineResult{failed: true}},
		{name: "error after the envelope", second: `{"id":"c1","object":"text_completion","created":17,"model":"m","error":{"message":"x"}}`,
			want: lineResult{failed: true}},
		{name: "choices first", second: `{"choices":[{"text":"b"}],"id":"c1","object":"text_completion","created":17,"model":"m"}`,
			want: lineResult{text: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			f := new(frames)
			is.Equal(readLine(f, []byte(first)), lineResult{text: "a"})                                   // the first chunk
			is.Equal(string(f.prefix), `{"id":"c1","object":"text_completion","created":17,"model":"m",`) // its inert members
			is.Equal(readLine(f, []byte("data: "+tt.second)), tt.want)                                    // the second, read after the prefix when it matches
			is.Equal(readLine(new(frames), []byte("data: "+tt.second)), tt.want)                          // as a chunk read alone
		})
	}
	is.True(len(tests) > 0) // the table is not empty
}

// FuzzChunkPrefix reads the lines of a stream twice: with the prefix of
// inert members carried from chunk to chunk, and with it forgotten before
// every line. Both must read the same.
func FuzzChunkPrefix(f *testing.F) {
	const envelope = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732700100,"model":"m",`
	f.Add([]byte(envelope + `"choices":[{"delta":{"content":"a"}}]}` + "\n" + envelope + `"choices":[{"delta":{"content":"b"}}]}`))
	f.Add([]byte(envelope + `"choices":[]}` + "\n" + envelope + `"usage":{"completion_tokens":3}}` + "\n" + envelope + `}`))
	f.Add([]byte(envelope + `"system_fingerprint":"v1","choices":[]}` + "\n" + envelope + `"system_fingerprint":"v2","choices":[]}`))
	f.Add([]byte(`data: {"object":"error","choices":[],"object":"x"}` + "\n" + `data: {"object":"error","choices":[]}`))
	f.Add([]byte(`data: {"id":"1","created":1,"choices":[]}` + "\n" + `data: {"id":"1","created":12,"choices":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		carried, alone := new(frames), new(frames)
		for line := range bytes.SplitSeq(data, []byte{'\n'}) {
			alone.prefix = alone.prefix[:0]
			wantText, wantDone, wantErr := alone.Line(line, nil)
			text, done, err := carried.Line(line, []byte("kept"))
			if string(text) != "kept"+string(wantText) || done != wantDone || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("line %q after the prefix %q: %q %v %v, alone %q %v %v",
					line, carried.prefix, text, done, err, wantText, wantDone, wantErr)
			}
		}
		out := httpstream.Outcome{Chunks: 1}
		if carried.result(out) != alone.result(out) || carried.EndOK() != alone.EndOK() {
			t.Fatalf("stream result %+v, alone %+v", carried.result(out), alone.result(out))
		}
	})
}
