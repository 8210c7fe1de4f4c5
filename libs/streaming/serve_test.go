package streaming_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

func hundredTokens() []string {
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = "tok"
	}
	return texts
}

func TestServeCoalescesReadyFrames(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.AppendTokens(hundredTokens())
	is.NoErr(err) // 100 tokens before the reader runs

	w := newRecorder()
	s := startServe(t, w, log, 0)
	is.True(awaitFlush(w))               // the reader caught up
	is.Equal(s.stop(), context.Canceled) // Serve returns ctx.Err() on cancel
	writes, flushes := w.counts()
	is.Equal(writes, 1)  // one write for 100 frames
	is.Equal(flushes, 1) // one flush
	want, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(w.String(), string(want)) // the frames themselves
}

func TestServeCoalescesFinishedLog(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.AppendTokens(hundredTokens())
	is.NoErr(err) // 100 tokens
	_, err = log.Finish(endFrame)
	is.NoErr(err) // and the terminal frame

	w := newRecorder()
	is.NoErr(streaming.Serve(t.Context(), w, w.flush, log, 0)) // nil after the terminal frame
	writes, flushes := w.counts()
	is.Equal(writes, 1)  // one write for 101 frames
	is.Equal(flushes, 1) // one flush
}

func TestServeWithoutFinalFlushLeavesTheEndToTheCaller(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	w := newRecorder()
	s := startServe(t, w, log, 0, streaming.WithoutFinalFlush())
	_, err := log.AppendTokens([]string{"x"})
	is.NoErr(err)          // one token
	is.True(awaitFlush(w)) // flushed on its own: the stream goes on
	_, err = log.Finish(endFrame)
	is.NoErr(err)      // Finish
	is.NoErr(s.wait()) // Serve returns nil after the terminal frame
	writes, flushes := w.counts()
	is.Equal(writes, 2)  // the token, then the terminal frame
	is.Equal(flushes, 1) // the terminal frame is not flushed
	want, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(w.String(), string(want)) // the whole stream was written
}

func TestServeFlushesEachTokenWhenIdle(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	w := newRecorder()
	s := startServe(t, w, log, 0)
	for range 5 {
		_, err := log.AppendTokens([]string{"x"})
		is.NoErr(err)          // one token
		is.True(awaitFlush(w)) // flushed on its own
	}
	_, err := log.Finish(endFrame)
	is.NoErr(err)      // Finish
	is.NoErr(s.wait()) // Serve returns nil after the terminal frame
	writes, flushes := w.counts()
	is.Equal(writes, 6)  // one write per frame when idle
	is.Equal(flushes, 6) // one flush per write
	want, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(w.String(), string(want)) // the whole stream
}

func TestServeStopsOnCancelBeforeAnyFrame(t *testing.T) {
	is := is.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := newRecorder()
	err := streaming.Serve(ctx, w, w.flush, streaming.NewLog(), 0)
	is.Equal(err, context.Canceled) // ctx.Err()
	is.Equal(w.String(), "")        // nothing written
}

func TestServeReturnsWriteAndFlushErrors(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name     string
		writeErr error
		flushErr error
	}{
		{"write", errBoom, nil},
		{"flush", nil, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			log := streaming.NewLog()
			w := newRecorder()
			w.writeErr, w.flushErr = tt.writeErr, tt.flushErr
			s := startServe(t, w, log, 0)
			_, err := log.AppendTokens([]string{"x"})
			is.NoErr(err)                         // a frame to write
			is.True(errors.Is(s.wait(), errBoom)) // Serve returns the error without cancel
		})
	}
}

func TestServeNilFlush(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.Finish(endFrame)
	is.NoErr(err) // a finished log
	var sb strings.Builder
	is.NoErr(streaming.Serve(t.Context(), &sb, nil, log, 0))                        // a nil flush is allowed
	is.Equal(sb.String(), frameText(1, "end", `{"tokens_out":0,"canceled":false}`)) // the frame
}

func TestServeKeepAlive(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	w := newRecorder()
	s := startServe(t, w, log, 0, streaming.WithKeepAlive(5*time.Millisecond))
	is.True(awaitFlush(w)) // first keep-alive
	is.True(awaitFlush(w)) // and another while still idle
	_, err := log.AppendTokens([]string{"x"})
	is.NoErr(err)                        // a frame
	is.Equal(s.stop(), context.Canceled) // Serve stops on cancel

	out := w.String()
	is.True(strings.HasPrefix(out, ": keep-alive\n\n: keep-alive\n\n"))                                                              // keep-alive comments while idle
	is.True(strings.Contains(out, frameText(1, "token", `{"t":"x","i":0}`)))                                                         // then the frame
	is.Equal(strings.Count(out, ": keep-alive\n\n")*len(": keep-alive\n\n")+len(frameText(1, "token", `{"t":"x","i":0}`)), len(out)) // nothing else
}

func TestServeWithoutKeepAlive(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	w := newRecorder()
	s := startServe(t, w, log, 0, streaming.WithKeepAlive(0))
	_, err := log.AppendTokens([]string{"x"})
	is.NoErr(err)                                                  // a frame
	is.True(awaitFlush(w))                                         // written and flushed
	is.Equal(s.stop(), context.Canceled)                           // stops on cancel
	is.Equal(w.String(), frameText(1, "token", `{"t":"x","i":0}`)) // no keep-alive
}

func TestServeVerbose(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	_, err := log.AppendVerbose("metrics", []byte(`{"q":1}`), []byte(`{"q":1,"human":"first"}`))
	is.NoErr(err) // a verbose frame
	_, err = log.AppendTokens([]string{"x"})
	is.NoErr(err) // a token
	_, err = log.AppendVerbose("metrics", []byte(`{"q":2}`), nil)
	is.NoErr(err) // a frame without a verbose form
	_, err = log.Finish(endFrame)
	is.NoErr(err) // Finish

	tests := []struct {
		name    string
		verbose bool
		first   string
	}{
		{"plain", false, `{"q":1}`},
		{"verbose", true, `{"q":1,"human":"first"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			w := newRecorder()
			is.NoErr(streaming.Serve(t.Context(), w, w.flush, log, 0, streaming.WithVerbose(tt.verbose))) // to the end
			want := frameText(1, "metrics", tt.first) + frameText(2, "token", `{"t":"x","i":0}`) +
				frameText(3, "metrics", `{"q":2}`) + frameText(4, "end", `{"tokens_out":1,"canceled":false}`)
			is.Equal(w.String(), want) // verbose readers get the verbose data
		})
	}
}

// TestServeVerboseLive checks that a verbose reader's scratch buffer never
// reaches into the log: frames appended while it serves stay intact.
func TestServeVerboseLive(t *testing.T) {
	is := is.New(t)
	log := streaming.NewLog()
	w := newRecorder()
	s := startServe(t, w, log, 0, streaming.WithVerbose(true))
	for range 20 {
		_, err := log.AppendVerbose("metrics", []byte(`{"q":0}`), []byte(`{"q":0,"human":"h"}`))
		is.NoErr(err)          // verbose frame
		is.True(awaitFlush(w)) // served
		_, err = log.AppendTokens([]string{"abc", "def"})
		is.NoErr(err)          // tokens
		is.True(awaitFlush(w)) // served
	}
	_, err := log.Finish(endFrame)
	is.NoErr(err)      // Finish
	is.NoErr(s.wait()) // Serve ends
	wantVerbose, _, _ := log.ReadFrom(0, true, nil)
	is.Equal(w.String(), string(wantVerbose)) // the verbose stream
	plain, _, _ := log.ReadFrom(0, false, nil)
	is.Equal(string(plain), framesText(log.Frames(0), nil)) // the shared buffer is intact
}

func TestParseLastEventID(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  error
	}{
		{"", 0, nil},
		{"0", 0, nil},
		{"42", 42, nil},
		{"18446744073709551615", 1<<64 - 1, nil},
		{"18446744073709551616", 0, streaming.ErrInvalidLastEventID},
		{"-1", 0, streaming.ErrInvalidLastEventID},
		{"+1", 0, streaming.ErrInvalidLastEventID},
		{" 1", 0, streaming.ErrInvalidLastEventID},
		{"1a", 0, streaming.ErrInvalidLastEventID},
		{"0x10", 0, streaming.ErrInvalidLastEventID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			is := is.New(t)
			got, err := streaming.ParseLastEventID(tt.in)
			is.True(errors.Is(err, tt.err)) // the error (nil for valid ids)
			is.Equal(got, tt.want)          // the id
		})
	}
}
