package streaming

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestRestoreServesTheSameStream(t *testing.T) {
	is := is.New(t)
	l := NewLog()
	_, _ = l.Append("started", []byte(`{"queue_position":0}`))
	_, _ = l.AppendTokens([]string{"a", "b\n\"", "c"})
	_, _ = l.AppendVerbose("metrics", []byte(`{"queue_depth":0}`), []byte(`{"queue_depth":0,"human":"x"}`))
	_, err := l.Finish(func(n int) (string, []byte) { return "end", []byte(`{"tokens_out":3}`) })
	is.NoErr(err)
	sse, _, _ := l.ReadFrom(0, false, nil)
	at := time.UnixMilli(1700000000000)
	r, err := Restore(sse, at)
	is.NoErr(err)
	again, last, finished := r.ReadFrom(0, false, nil)
	is.Equal(string(again), string(sse)) // byte-identical
	is.Equal(last, l.LastSeq())          // same numbering
	is.True(finished)                    // finished
	is.Equal(r.Tokens(), 3)              // tokens counted
	is.True(r.FinishedAt().Equal(at))    // finish time kept
	for after := uint64(0); after <= last; after++ {
		want, _, _ := l.ReadFrom(after, false, nil)
		got, _, _ := r.ReadFrom(after, false, nil)
		is.Equal(string(got), string(want)) // resume works the same
	}
	_, err = r.AppendTokens([]string{"late"})
	is.True(errors.Is(err, ErrClosed)) // a restored log is finished
	select {
	case <-r.Done():
	default:
		is.Fail() // a restored log's Done is closed
	}
}

func TestRestoreRejectsBrokenStreams(t *testing.T) {
	cases := map[string]string{
		"truncated":      "id: 1\nevent: started\ndata: {}\n",
		"no terminal":    "id: 1\nevent: started\ndata: {}\n\n",
		"gap":            "id: 1\nevent: started\ndata: {}\n\nid: 3\nevent: end\ndata: {}\n\n",
		"after terminal": "id: 1\nevent: end\ndata: {}\n\nid: 2\nevent: token\ndata: {}\n\n",
		"bad id":         "id: x\nevent: end\ndata: {}\n\n",
		"no data":        "id: 1\nevent: end\n\n",
		"bad data":       "id: 1\nevent: end\ndata: {\n\n",
		"unknown field":  "id: 1\nevent: end\nretry: 5\ndata: {}\n\n",
	}
	for name, sse := range cases {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			_, err := Restore([]byte(sse), time.Now())
			is.True(errors.Is(err, ErrInvalidFrame)) // refused
		})
	}
}

func TestRestoreVerboseServesTheVerboseStream(t *testing.T) {
	is := is.New(t)
	l := NewLog()
	_, _ = l.Append("started", []byte(`{"queue_position":1}`))
	_, _ = l.AppendVerbose("metrics", []byte(`{"queue_position":0}`), []byte(`{"queue_position":0,"human":"next"}`))
	_, _ = l.AppendTokens([]string{"a", "b"})
	_, _ = l.AppendVerbose("metrics", []byte(`{"queue_depth":0}`), []byte(`{"queue_depth":0,"human":"first token"}`))
	_, err := l.Finish(func(n int) (string, []byte) { return "end", []byte(`{"tokens_out":2}`) })
	is.NoErr(err)
	r, err := RestoreVerbose(l.SSE(), l.VerboseSSE(), time.Now())
	is.NoErr(err)
	for _, verbose := range []bool{false, true} {
		for after := uint64(0); after <= l.LastSeq(); after++ {
			want, _, _ := l.ReadFrom(after, verbose, nil)
			got, _, _ := r.ReadFrom(after, verbose, nil)
			is.Equal(string(got), string(want)) // plain and verbose readers get what they got before
		}
	}
	plainOnly, err := Restore(l.SSE(), time.Now())
	is.NoErr(err)
	got, _, _ := plainOnly.ReadFrom(0, true, nil)
	want, _, _ := l.ReadFrom(0, false, nil)
	is.Equal(string(got), string(want)) // without them a verbose reader gets the plain frames
}

func TestRestoreVerboseRejectsBrokenAlternatives(t *testing.T) {
	const sse = "id: 1\nevent: started\ndata: {}\n\nid: 2\nevent: metrics\ndata: {}\n\nid: 3\nevent: end\ndata: {}\n\n"
	cases := map[string]string{
		"truncated":     "id: 2\nevent: metrics\ndata: {}\n",
		"no such frame": "id: 4\nevent: metrics\ndata: {}\n\n",
		"other event":   "id: 2\nevent: token\ndata: {}\n\n",
		"out of order":  "id: 2\nevent: metrics\ndata: {}\n\nid: 1\nevent: started\ndata: {}\n\n",
		"twice":         "id: 2\nevent: metrics\ndata: {}\n\nid: 2\nevent: metrics\ndata: {}\n\n",
		"bad data":      "id: 2\nevent: metrics\ndata: {\n\n",
		"frame zero":    "id: 0\nevent: metrics\ndata: {}\n\n",
	}
	for name, vsse := range cases {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			_, err := RestoreVerbose([]byte(sse), []byte(vsse), time.Now())
			is.True(errors.Is(err, ErrInvalidFrame)) // refused
		})
	}
}

func TestRestoreKeepsAnExactEncodingAndReencodesAnyOther(t *testing.T) {
	const canonical = "id: 1\nevent: started\ndata: {\"queue_position\":0}\n\n" +
		"id: 2\nevent: token\ndata: {\"t\":\"a\",\"i\":0}\n\n" +
		"id: 3\nevent: end\ndata: {\"tokens_out\":1}\n\n"
	tests := []struct {
		name, sse string
		kept      bool
	}{
		{name: "exact", sse: canonical, kept: true},
		{name: "comment first", sse: ": hi\n\n" + canonical},
		{name: "comment between", sse: canonical[:strings.Index(canonical, "id: 2")] + ": keep-alive\n\n" + canonical[strings.Index(canonical, "id: 2"):]},
		{name: "fields in another order", sse: strings.Replace(canonical, "id: 2\nevent: token\n", "event: token\nid: 2\n", 1)},
		{name: "last frame differs", sse: strings.Replace(canonical, "id: 3\nevent: end\n", "event: end\nid: 3\n", 1)},
	}
	is.New(t).True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			in := []byte(tt.sse)
			r, err := Restore(in, time.Now())
			is.NoErr(err) // restored
			out := r.SSE()
			is.Equal(string(out), canonical)     // the frames, encoded as the log encodes them
			is.Equal(&out[0] == &in[0], tt.kept) // the input is the buffer only when it is that encoding
			is.Equal(r.Tokens(), 1)              // tokens counted
			starts := []int{0, strings.Index(canonical, "id: 2"), strings.Index(canonical, "id: 3"), len(canonical)}
			for after := uint64(0); after <= 3; after++ {
				got, _, finished := r.ReadFrom(after, false, nil)
				is.Equal(string(got), canonical[starts[after]:]) // resume from every id
				is.True(finished)                                // finished
			}
			frames := r.Frames(0)
			is.Equal(len(frames), 3)                            // every frame
			is.Equal(frames[1].Event, "token")                  // with its event
			is.Equal(string(frames[1].Data), `{"t":"a","i":0}`) // and its data
		})
	}
}
