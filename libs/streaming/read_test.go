package streaming_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

// tokenPieces are token texts that exercise the escaping.
var tokenPieces = []string{"a", " the", "\"", "\\", "\n", "\t", "\x01", "\u2028", "\xff", "世界", "<&>", ""}

// randomLog builds a finished log of random frames and returns it with the
// verbose data of its verbose frames by Seq.
func randomLog(t *testing.T, rng *rand.Rand) (*streaming.Log, map[uint64]string) {
	t.Helper()
	log := streaming.NewLog()
	verbose := make(map[uint64]string)
	n := rng.IntN(40)
	for i := range n {
		var err error
		var seq uint64
		switch rng.IntN(4) {
		case 0:
			seq, err = log.Append("metrics", fmt.Appendf(nil, `{"queue_depth":%d}`, i))
		case 1:
			seq, err = log.AppendVerbose("metrics", fmt.Appendf(nil, `{"queue_depth":%d}`, i), fmt.Appendf(nil, `{"queue_depth":%d,"human":"step %d"}`, i, i))
			verbose[seq] = fmt.Sprintf(`{"queue_depth":%d,"human":"step %d"}`, i, i)
		default:
			texts := make([]string, 1+rng.IntN(5))
			for j := range texts {
				texts[j] = tokenPieces[rng.IntN(len(tokenPieces))]
			}
			seq, err = log.AppendTokens(texts)
		}
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	if _, err := log.Finish(endFrame); err != nil {
		t.Fatalf("finish: %v", err)
	}
	return log, verbose
}

// TestResumeAfterAnyID checks, over random logs, that reading after any id
// returns exactly the frames after it, byte for byte, verbose or not.
func TestResumeAfterAnyID(t *testing.T) {
	is := is.New(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		log, verbose := randomLog(t, rng)
		full, last, _ := log.ReadFrom(0, false, nil)
		is.Equal(last, log.LastSeq()) // reading from 0 reaches the end
		for after := uint64(0); after <= last+2; after++ {
			want := framesText(log.Frames(after), nil)
			got, gotLast, finished := log.ReadFrom(after, false, nil)
			is.Equal(string(got), want)                           // exactly the frames after the id
			is.True(strings.HasSuffix(string(full), string(got))) // a suffix of the whole stream
			is.Equal(gotLast, max(after, last))                   // last is the end (or after, when beyond)
			is.True(finished)                                     // the log is finished

			wantVerbose := framesText(log.Frames(after), verbose)
			gotVerbose, _, _ := log.ReadFrom(after, true, []byte("x"))
			is.Equal(string(gotVerbose), "x"+wantVerbose) // verbose frames substituted, appended to dst
		}
	}
}

// TestResumeViaServe checks Serve against ReadFrom for random resume points.
func TestResumeViaServe(t *testing.T) {
	is := is.New(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		log, _ := randomLog(t, rng)
		after := rng.Uint64N(log.LastSeq() + 2)
		for _, verbose := range []bool{false, true} {
			w := newRecorder()
			err := streaming.Serve(t.Context(), w, w.flush, log, after, streaming.WithVerbose(verbose))
			is.NoErr(err) // Serve returns nil after the terminal frame
			want, _, _ := log.ReadFrom(after, verbose, nil)
			is.Equal(w.String(), string(want)) // Serve writes what ReadFrom reads
		}
	}
}

// TestManyReadersGetIdenticalStreams runs 64 Serve readers, started before
// and during production, against a writer.
func TestManyReadersGetIdenticalStreams(t *testing.T) {
	is := is.New(t)
	const readers = 64
	log := streaming.NewLog()
	outs := make([]*recorder, readers)
	errs := make([]error, readers)
	var wg sync.WaitGroup
	start := func(i int) {
		outs[i] = newRecorder()
		wg.Go(func() { errs[i] = streaming.Serve(context.Background(), outs[i], outs[i].flush, log, 0) })
	}
	rng := rand.New(rand.NewPCG(5, 6))
	_, err := log.Append("started", []byte(`{"queue_position":0}`))
	is.NoErr(err) // started
	for i := range readers / 2 {
		start(i)
	}
	for i := range 6 * readers / 2 {
		texts := make([]string, 1+rng.IntN(8))
		for j := range texts {
			texts[j] = tokenPieces[rng.IntN(len(tokenPieces))]
		}
		_, err := log.AppendTokens(texts)
		is.NoErr(err) // AppendTokens
		if i%6 == 0 {
			start(readers/2 + i/6) // the other half joins while tokens flow
		}
	}
	_, err = log.Finish(endFrame)
	is.NoErr(err) // Finish
	wg.Wait()

	want, _, _ := log.ReadFrom(0, false, nil)
	for i := range readers {
		is.NoErr(errs[i])                        // every reader ends after the terminal frame
		is.Equal(outs[i].String(), string(want)) // every reader got the same bytes
	}
}

func TestLateReaderGetsWholeStream(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.Append("started", []byte(`{}`))
	is.NoErr(err) // started
	_, err = log.AppendTokens([]string{"x", "y"})
	is.NoErr(err) // tokens
	_, err = log.Finish(endFrame)
	is.NoErr(err) // Finish

	tests := []struct {
		name  string
		after uint64
		want  string
	}{
		{"from the start", 0, frameText(1, "started", `{}`) + frameText(2, "token", `{"t":"x","i":0}`) + frameText(3, "token", `{"t":"y","i":1}`) + frameText(4, "end", `{"tokens_out":2,"canceled":false}`)},
		{"resumed", 2, frameText(3, "token", `{"t":"y","i":1}`) + frameText(4, "end", `{"tokens_out":2,"canceled":false}`)},
		{"had everything", 4, ""},
		{"beyond the log", 9, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			w := newRecorder()
			err := streaming.Serve(t.Context(), w, w.flush, log, tt.after)
			is.NoErr(err)                 // Serve returns nil at the end
			is.Equal(w.String(), tt.want) // the rest of the stream
		})
	}
}

func TestWait(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	is.Equal(log.Wait(ctx, 0), context.Canceled) // ctx done and nothing to read

	woke := make(chan error, 1)
	go func() { woke <- log.Wait(t.Context(), 0) }()
	_, err := log.AppendTokens([]string{"a"})
	is.NoErr(err)              // AppendTokens
	is.NoErr(<-woke)           // an append wakes the waiter
	is.NoErr(log.Wait(ctx, 0)) // ready at once when a frame exists, even with ctx done

	go func() { woke <- log.Wait(t.Context(), 5) }()
	_, err = log.Append("metrics", []byte(`{}`))
	is.NoErr(err) // Append (seq 2, still not after 5)
	_, err = log.Finish(endFrame)
	is.NoErr(err)    // Finish
	is.NoErr(<-woke) // Finish wakes a waiter for a later id
}
