package simengine

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAppendJSONString: every valid UTF-8 string encodes to JSON that
// decodes back to itself.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", " word", "a\"b\\c", "\x00\x1f\n", "café", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil || back != s {
			t.Fatalf("%q encoded as %s decoded as %q (%v)", s, appendJSONString(nil, s), back, err)
		}
	})
}

// FuzzStopStrings: with either stop style, the emitted pieces add up to a
// prefix of the generated text without the stop string, and the text kept
// never contains a stop string that ended the generation.
func FuzzStopStrings(f *testing.F) {
	f.Add(" the quick| brown| fox", "own f", false)
	f.Add(" a| b| c", "b", true)
	f.Fuzz(func(t *testing.T, pieces, stop string, vllm bool) {
		if stop == "" || !utf8.ValidString(pieces) || !utf8.ValidString(stop) {
			t.Skip()
		}
		style := stopLlama
		if vllm {
			style = stopVLLM
		}
		parts := strings.Split(pieces, "|")
		got, word := feed(style, []string{stop}, parts, false)
		emitted := strings.ReplaceAll(got, "|", "")
		full := strings.Join(parts, "")
		if !strings.HasPrefix(full, emitted) {
			t.Fatalf("emitted %q is not a prefix of %q", emitted, full)
		}
		if word != "" && strings.Contains(emitted, stop) {
			t.Fatalf("emitted %q contains the stop string %q", emitted, stop)
		}
	})
}
