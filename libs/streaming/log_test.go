package streaming_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

func TestLogNumbersAndEncodesFrames(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()

	seq, err := log.Append("started", []byte(`{"queue_position":0}`))
	is.NoErr(err)            // Append started
	is.Equal(seq, uint64(1)) // the first frame is 1
	seq, err = log.AppendTokens([]string{"Hel", "lo", " \"w\"\n"})
	is.NoErr(err)            // AppendTokens
	is.Equal(seq, uint64(4)) // AppendTokens returns the last seq
	seq, err = log.Append("metrics", []byte(`{"queue_depth":2}`))
	is.NoErr(err)            // Append metrics
	is.Equal(seq, uint64(5)) // numbering continues
	seq, err = log.AppendTokens([]string{"!"})
	is.NoErr(err)             // second batch
	is.Equal(seq, uint64(6))  // one more token frame
	is.Equal(log.Tokens(), 4) // four token frames

	var counted int
	seq, err = log.Finish(func(tokens int) (string, []byte) {
		counted = tokens
		return endFrame(tokens)
	})
	is.NoErr(err)                      // Finish
	is.Equal(seq, uint64(7))           // the terminal frame is last
	is.Equal(counted, 4)               // Finish sees every token frame
	is.Equal(log.LastSeq(), uint64(7)) // LastSeq
	is.True(log.Finished())            // Finished

	want := frameText(1, "started", `{"queue_position":0}`) +
		frameText(2, "token", `{"t":"Hel","i":0}`) +
		frameText(3, "token", `{"t":"lo","i":1}`) +
		frameText(4, "token", `{"t":" \"w\"\n","i":2}`) +
		frameText(5, "metrics", `{"queue_depth":2}`) +
		frameText(6, "token", `{"t":"!","i":3}`) +
		frameText(7, "end", `{"tokens_out":4,"canceled":false}`)
	out, last, finished := log.ReadFrom(0, false, nil)
	is.Equal(string(out), want)                    // the SSE encoding of every frame
	is.Equal(last, uint64(7))                      // last is the terminal frame
	is.True(finished)                              // the reader got the terminal frame
	is.Equal(framesText(log.Frames(0), nil), want) // Frames agrees with the bytes
}

func TestFramesAreStructuredCopies(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.AppendTokens([]string{"a\u2028", "\xff"})
	is.NoErr(err) // AppendTokens
	_, err = log.Append("metrics", []byte(`{"kv_warmth":0.5}`))
	is.NoErr(err) // Append

	frames := log.Frames(1)
	is.Equal(len(frames), 2)                                 // the frames after 1
	is.Equal(frames[0].Seq, uint64(2))                       // Seq
	is.Equal(frames[0].Event, "token")                       // Event
	is.Equal(string(frames[0].Data), `{"t":"\ufffd","i":1}`) // invalid UTF-8 becomes U+FFFD
	is.Equal(frames[1].Event, "metrics")                     // Event of a non-token frame
	is.Equal(string(frames[1].Data), `{"kv_warmth":0.5}`)    // Data as appended

	var tok struct {
		T string `json:"t"`
		I int    `json:"i"`
	}
	is.NoErr(json.Unmarshal(log.Frames(0)[0].Data, &tok)) // token data is valid JSON
	is.Equal(tok.T, "a\u2028")                            // U+2028 survives the round trip

	frames[1].Data[0] = 'X'
	is.Equal(string(log.Frames(2)[0].Data), `{"kv_warmth":0.5}`) // changing a copy leaves the log alone
	is.Equal(len(log.Frames(3)), 0)                              // nothing after the last frame
	is.Equal(len(log.Frames(99)), 0)                             // nothing after an id beyond the log
}

func TestAppendRejectsInvalidFrames(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		data    string
		verbose string
	}{
		{"empty event", "", `{}`, ""},
		{"newline in event", "a\nb", `{}`, ""},
		{"carriage return in event", "a\rb", `{}`, ""},
		{"newline in data", "metrics", "{\n}", ""},
		{"carriage return in data", "metrics", "{\r}", ""},
		{"data not JSON", "metrics", `{"a":`, ""},
		{"empty data", "metrics", ``, ""},
		{"newline in verbose", "metrics", `{}`, "{\n}"},
		{"verbose not JSON", "metrics", `{}`, `nope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			log := streaming.NewLog()
			_, err := log.AppendVerbose(tt.event, []byte(tt.data), []byte(tt.verbose))
			is.True(errors.Is(err, streaming.ErrInvalidFrame)) // rejected
			is.Equal(log.LastSeq(), uint64(0))                 // nothing appended
		})
	}
}

func TestFinishWithInvalidFrameLeavesLogOpen(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.Finish(func(int) (string, []byte) { return "end", []byte("{\n}") })
	is.True(errors.Is(err, streaming.ErrInvalidFrame)) // rejected
	is.True(!log.Finished())                           // still open
	seq, err := log.Finish(endFrame)
	is.NoErr(err)            // a valid Finish afterwards works
	is.Equal(seq, uint64(1)) // and is the only frame
}

func TestLogIsClosedAfterFinish(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	before := time.Now()
	_, err := log.Finish(endFrame)
	is.NoErr(err) // Finish

	select {
	case <-log.Done():
	default:
		is.Fail() // Done is closed by Finish
	}
	is.True(!log.FinishedAt().Before(before)) // FinishedAt is the time of Finish

	_, err = log.Append("metrics", []byte(`{}`))
	is.True(errors.Is(err, streaming.ErrClosed)) // Append after Finish
	_, err = log.AppendVerbose("metrics", []byte(`{}`), []byte(`{}`))
	is.True(errors.Is(err, streaming.ErrClosed)) // AppendVerbose after Finish
	_, err = log.AppendTokens([]string{"x"})
	is.True(errors.Is(err, streaming.ErrClosed)) // AppendTokens after Finish
	_, err = log.AppendTokens(nil)
	is.True(errors.Is(err, streaming.ErrClosed)) // even an empty batch
	_, err = log.Finish(endFrame)
	is.True(errors.Is(err, streaming.ErrClosed)) // a second Finish
	is.Equal(log.LastSeq(), uint64(1))           // nothing after the terminal frame
}

func TestDoneTakenBeforeFinishCloses(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	done := log.Done()
	is.Equal(log.Done(), done) // the same channel every time
	finished := make(chan error, 1)
	go func() {
		_, err := log.Finish(endFrame)
		finished <- err
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		is.Fail() // Finish closes a Done channel taken before it
	}
	is.NoErr(<-finished) // Finish
}

func TestOpenLogState(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	seq, err := log.AppendTokens(nil)
	is.NoErr(err)                      // an empty batch is fine
	is.Equal(seq, uint64(0))           // and appends nothing
	is.True(log.FinishedAt().IsZero()) // open: no finish time
	is.True(!log.Finished())           // open
	select {
	case <-log.Done():
		is.Fail() // Done stays open
	default:
	}
}

// TestFinishRacesAppendTokens runs Finish against a writer appending token
// batches: no token frame may follow the terminal frame, and Finish's count
// must equal the token frames before it.
func TestFinishRacesAppendTokens(t *testing.T) {
	is := is.New(t)
	batch := []string{"a", "b", "c"}
	for iter := range 1000 {
		log := streaming.NewLog()
		writerDone := make(chan int)
		go func() {
			appended := 0
			for {
				if _, err := log.AppendTokens(batch); err != nil {
					writerDone <- appended
					return
				}
				appended += len(batch)
			}
		}()
		if iter%2 == 0 {
			is.NoErr(log.Wait(t.Context(), 0)) // let the writer start on even iterations
		}
		counted := -1
		_, err := log.Finish(func(tokens int) (string, []byte) {
			counted = tokens
			return endFrame(tokens)
		})
		is.NoErr(err) // Finish
		appended := <-writerDone

		frames := log.Frames(0)
		last := frames[len(frames)-1]
		is.Equal(last.Event, "end")                                                              // the terminal frame is last
		is.Equal(string(last.Data), fmt.Sprintf(`{"tokens_out":%d,"canceled":false}`, appended)) // it counts what the writer appended
		is.Equal(counted, appended)                                                              // Finish saw every appended token
		is.Equal(len(frames), appended+1)                                                        // only token frames before it
		is.Equal(log.Tokens(), appended)                                                         // Tokens agrees
	}
}

func TestLogGrowAndSSE(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	log.Grow(4096, 64)
	_, err := log.Append("started", []byte(`{"queue_position":0}`))
	is.NoErr(err) // Append after Grow
	_, err = log.AppendTokens([]string{"a", "b"})
	is.NoErr(err) // tokens
	sse := log.SSE()
	want, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(string(sse), string(want)) // SSE is every frame, as a reader from the start gets it
	_, err = log.Finish(func(tokens int) (string, []byte) { return endFrame(tokens) })
	is.NoErr(err)                       // Finish gives back the unused room
	is.Equal(string(sse), string(want)) // an earlier SSE view never changes
	all, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(string(log.SSE()), string(all)) // and SSE now ends with the terminal frame
	log.Grow(1<<20, 1)                       // a finished log ignores Grow
	is.Equal(cap(log.SSE()), len(all))       // SSE's capacity is clipped: appending to it copies
}
