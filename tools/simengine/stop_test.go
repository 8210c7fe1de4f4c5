package simengine

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// feed runs pieces through a stop style and returns what each step emitted
// ("|"-joined) and the stop word.
func feed(style stopStyle, stop []string, pieces []string, eosLast bool) (string, string) {
	g := genState{stop: stop}
	for _, w := range stop {
		g.holdback = max(g.holdback, len(w)-1)
	}
	var out []string
	word := ""
	for i, p := range pieces {
		g.text = append(g.text, p...)
		last := i == len(pieces)-1
		var emit []byte
		if style == stopLlama {
			emit, word = g.llamaStep(len(p), eosLast && last)
		} else {
			emit, word = g.vllmStep(len(p), last)
		}
		out = append(out, string(emit))
		if word != "" {
			break
		}
	}
	return strings.Join(out, "|"), word
}

func TestLlamaCppStopWords(t *testing.T) {
	cases := []struct {
		name       string
		stop       []string
		pieces     []string
		eosLast    bool
		want, word string
	}{
		{"no stop words", nil, []string{" a", " b"}, false, " a| b", ""},
		{"full match in one piece", []string{"b"}, []string{" a", " b", " c"}, false, " a| ", "b"},
		{"partial match holds back", []string{" the end"}, []string{" a", " the", " end"}, false, " a||", " the end"},
		{"partial then mismatch releases", []string{" the end"}, []string{" a", " the", " cat"}, false, " a|| the cat", ""},
		{"held text is released by eos", []string{" the end"}, []string{" a", " the", ""}, true, " a|| the", ""},
		{"earliest of several words", []string{"c", "b"}, []string{" a b c"}, false, " a ", "b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, word := feed(stopLlama, tc.stop, tc.pieces, tc.eosLast)
			is.Equal(got, tc.want)  // emitted text per token
			is.Equal(word, tc.word) // stopping word
		})
	}
}

func TestVLLMStopStrings(t *testing.T) {
	cases := []struct {
		name       string
		stop       []string
		pieces     []string
		want, word string
	}{
		{"no stop strings", nil, []string{" a", " b"}, " a| b", ""},
		{"buffer holds len-1 bytes", []string{"xyz"}, []string{" abc", " def", " g"}, " a|bc d|ef g", ""},
		{"match truncates", []string{"de"}, []string{" abc", " def", " g"}, " ab|c ", "de"},
		{"first listed string wins", []string{"f", "b"}, []string{" xbf"}, " xb", "f"},
		{"utf-8 is not split", []string{"zz"}, []string{" é", " é"}, " |é é", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, word := feed(stopVLLM, tc.stop, tc.pieces, false)
			is.Equal(got, tc.want)  // emitted text per token
			is.Equal(word, tc.word) // matched stop string
		})
	}
}

func TestFinishReasons(t *testing.T) {
	cases := []struct {
		name, path, body, finishField, want string
	}{
		{"llamacpp limit", "/completion", `{"prompt":"p","n_predict":3}`, "stop_type", `"limit"`},
		{"llamacpp eos", "/completion", `{"prompt":"p","n_predict":30}`, "stop_type", `"eos"`},
		{"llamacpp ignore_eos", "/completion", `{"prompt":"p","n_predict":30,"ignore_eos":true}`, "stop_type", `"limit"`},
		{"llamacpp word", "/completion", `{"prompt":"p","n_predict":30,"stop":[" "]}`, "stop_type", `"word"`},
		{"llamacpp context", "/completion", `{"prompt":"p","ignore_eos":true}`, "truncated", "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, ts := startServer(t, WithEOSAfter(10), WithCtx(40))
			_, _, body := fetch(t, ts, tc.path, tc.body)
			is.Equal(string(field[rawJSON](t, body, tc.finishField)), tc.want) // why the generation ended
		})
	}
}

func TestOpenAIFinishReasons(t *testing.T) {
	cases := []struct {
		name, body, finish, stopReason string
	}{
		{"length", `{"prompt":"p","max_tokens":3}`, "length", "null"},
		{"eos", `{"prompt":"p","max_tokens":30}`, "stop", "null"},
		{"stop string", `{"prompt":"p","max_tokens":30,"stop":" "}`, "stop", `" "`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, ts := startServer(t, WithEOSAfter(10))
			_, _, body := fetch(t, ts, "/v1/completions", tc.body)
			choice := field[[]rawJSON](t, body, "choices")[0].String()
			is.Equal(field[string](t, choice, "finish_reason"), tc.finish)             // finish_reason
			is.Equal(field[rawJSON](t, choice, "stop_reason").String(), tc.stopReason) // stop_reason
		})
	}
}
