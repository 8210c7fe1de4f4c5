package artifacts

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
	"github.com/orchestratord/orchestratord/contracts/wire"
)

// jsonEncode is what encode replaced: json.Encoder with HTML escaping off.
func jsonEncode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	is.New(t).NoErr(enc.Encode(v)) // encoding/json encodes it
	return buf.Bytes()
}

// TestEncodeMatchesEncodingJSON: the hand-written encoder writes the bytes
// encoding/json writes, so stored documents are unchanged by it.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	id := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		doc  Artifact
	}{
		{"minimal", Artifact{ID: id, Kind: KindPlan, Digest: DigestPrefix + id, Tags: []string{}, Content: json.RawMessage(`{}`)}},
		{"everything", Artifact{
			ID: id, Kind: KindTrace, Digest: DigestPrefix + id, CreatedMs: 1_700_000_000_123,
			Tags:   []string{"sse", "task:01J", `quote"d`, `back\slash`, "<html>&", "line\u2028sep\u2029", "😀 é", "del\x7f"},
			Parent: strings.Repeat("cd", 32), Metadata: json.RawMessage(`{"engine":"vllm"}`),
			Content: json.RawMessage("{\"<a>\":\"\u2028 & \\n\",\"n\":[1e+21,0.1]}"),
		}},
		{"negative created_ms", Artifact{ID: id, Kind: KindOther, Digest: DigestPrefix + id, CreatedMs: -5, Tags: []string{}, Content: json.RawMessage(`1`)}},
		{"strings outside what prepare lets through", Artifact{
			ID: "\x00\x01\b\f\n\r\t\x1f", Kind: "in\xffvalid", Digest: "\xe2\x80", Tags: []string{"\xed\xa0\x80"},
			Content: json.RawMessage(`null`),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(string(encode(tt.doc)), string(jsonEncode(t, tt.doc))) // byte for byte
		})
	}
}

// FuzzAppendJSONString: wire.AppendString escapes as encoding/json does.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\b\f\n\r\t\x1f\x7f", "\u2028\u2029", "<>&", "é😀", "\xff", "\xed\xa0\x80", "a\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		is := is.New(t)
		want := bytes.TrimSuffix(jsonEncode(t, s), []byte("\n"))
		is.Equal(string(wire.AppendString(nil, s)), string(want)) // as encoding/json
	})
}

// encode is the encoding of doc alone.
func encode(doc Artifact) []byte {
	data, _, _ := appendDocument(nil, doc)
	return data
}
