package httpstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/sse"
)

// Parser turns the lines of one engine stream into chunk texts.
type Parser interface {
	// Line handles one line, without its line terminator. It appends the
	// text of the chunk the line carried to text (nothing for none, and
	// nothing on failure) and returns it, whether the line was the stream's
	// terminal event, and the failure the line reported: an *engine.Error
	// of KindEngine for an error object, or one wrapping engine.ErrMalformed
	// for bytes that are not the engine's format.
	Line(line, text []byte) (out []byte, done bool, err error)
	// EndOK reports whether the body may end at this point without the
	// terminal event (some servers omit a final marker after the finish).
	EndOK() bool
}

// Outcome is what a stream that was read reports besides the parser's state.
type Outcome struct {
	Chunks int         // chunks emitted
	Header http.Header // the response header, nil when no response came
}

// watchdog is the one timer of a request: the token timeout while
// streaming, the drain grace after the terminal event. Firing cancels the
// request, which closes its connection.
type watchdog struct {
	timer  *time.Timer
	fired  atomic.Bool
	cancel context.CancelFunc
}

func (w *watchdog) fire() {
	w.fired.Store(true)
	w.cancel()
}

func (w *watchdog) arm(d time.Duration) {
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
		return
	}
	w.timer.Reset(d)
}

func (w *watchdog) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Post sends body to ep and streams the answer through p, handing emit a
// batch of chunk texts after each read (see engine.Client.Generate for the
// contract). tokenTimeout 0 means no token timeout.
func (s *Streamer) Post(ctx context.Context, ep *Endpoint, body []byte, tokenTimeout time.Duration,
	p Parser, emit func([]string) error) (Outcome, error) {
	var out Outcome
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if ep.err != nil {
		return out, &engine.Error{Kind: engine.KindUnavailable, Engine: s.engine, Err: ep.err}
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &watchdog{cancel: cancel}
	defer w.stop()
	if tokenTimeout > 0 {
		w.arm(tokenTimeout)
	}

	resp, err := s.send(rctx, newPost(rctx, ep, body), ep, body)
	if err != nil {
		return out, s.readFailure(ctx, w, err, 0)
	}
	defer resp.Body.Close()
	out.Header = resp.Header
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, s.statusFailure(resp)
	}

	n, err := s.read(ctx, w, resp.Body, tokenTimeout, p, emit)
	out.Chunks = n
	return out, err
}

// ReadBody reads a stream body that is already at hand through p, with no
// token timeout: the read loop of Post without HTTP, for fuzz targets and
// benchmarks. It returns the number of chunks emitted.
func (s *Streamer) ReadBody(ctx context.Context, body io.Reader, p Parser, emit func([]string) error) (int, error) {
	w := &watchdog{cancel: func() {}}
	defer w.stop()
	return s.read(ctx, w, body, 0, p, emit)
}

// read is the loop of Post: batches of lines through p to emit until the
// terminal event, then a short drain so the connection can be reused.
func (s *Streamer) read(ctx context.Context, w *watchdog, body io.Reader, tokenTimeout time.Duration,
	p Parser, emit func([]string) error) (int, error) {
	rd := s.acquire()
	defer s.release(rd)
	rd.lines.Reset(body)
	chunks := 0
	for {
		done, err := rd.next(p)
		if len(rd.batch) > 0 {
			if cerr := ctx.Err(); cerr != nil {
				return chunks, cerr
			}
			// The time emit takes is not the engine's: the token timeout
			// waits while it runs and starts over when it returns.
			w.stop()
			if eerr := emit(rd.batch); eerr != nil {
				return chunks, eerr
			}
			chunks += len(rd.batch)
			if tokenTimeout > 0 {
				w.arm(tokenTimeout)
			}
		}
		switch {
		case done && ctx.Err() != nil:
			return chunks, ctx.Err()
		case done:
			w.arm(drainGrace)
			rd.lines.Discard(maxDrain)
			return chunks, nil
		case err == nil:
		case errors.Is(err, io.EOF) && p.EndOK():
			return chunks, nil
		default:
			return chunks, s.readFailure(ctx, w, err, chunks)
		}
	}
}

// next reads one line, blocking if needed, then every complete line already
// buffered, and collects their chunk texts in rd.batch.
func (rd *streamReader) next(p Parser) (done bool, err error) {
	rd.text, rd.ends = rd.text[:0], rd.ends[:0]
	defer rd.seal()
	for {
		line, partial, err := rd.lines.Line()
		if err != nil {
			return false, err
		}
		n := len(rd.text)
		rd.text, done, err = p.Line(line, rd.text)
		if err != nil && partial && errors.Is(err, engine.ErrMalformed) {
			// A frame cut by the end of the body is a dropped stream, not a bad one.
			rd.text = rd.text[:n]
			return false, io.ErrUnexpectedEOF
		}
		if len(rd.text) > n {
			rd.ends = append(rd.ends, len(rd.text))
		}
		if done || err != nil {
			return done, err
		}
		if !rd.lines.LineBuffered() {
			return false, nil
		}
	}
}

// seal makes rd.batch the chunk texts collected in rd.text: one string for
// the batch, which each text is a part of (a batch costs one allocation,
// not one per chunk; the strings are immutable, so a part kept longer only
// keeps the batch's string).
func (rd *streamReader) seal() {
	rd.batch = rd.batch[:0]
	if len(rd.ends) == 0 {
		return
	}
	all, start := string(rd.text), 0
	for _, end := range rd.ends {
		rd.batch = append(rd.batch, all[start:end])
		start = end
	}
}

// readFailure maps a failure while connecting or reading.
func (s *Streamer) readFailure(ctx context.Context, w *watchdog, err error, chunks int) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if w.fired.Load() {
		return &engine.Error{Kind: engine.KindTimeout, Engine: s.engine, Chunks: chunks, Err: engine.ErrTokenTimeout}
	}
	if ee, ok := errors.AsType[*engine.Error](err); ok {
		ee.Engine, ee.Chunks = s.engine, chunks
		return ee
	}
	if errors.Is(err, sse.ErrLineTooLong) {
		return &engine.Error{Kind: engine.KindEngine, Engine: s.engine, Chunks: chunks,
			Err: fmt.Errorf("%w: %w", engine.ErrMalformed, err)}
	}
	switch {
	case errors.Is(err, io.EOF):
		err = engine.ErrTruncated
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w: %w", engine.ErrTruncated, err)
	}
	kind := engine.KindReset
	if chunks == 0 {
		kind = engine.KindUnavailable
	}
	return &engine.Error{Kind: kind, Engine: s.engine, Chunks: chunks, Err: err}
}

// statusFailure maps a non-2xx answer: 408, 429 and 5xx are worth retrying
// on another engine (KindUnavailable), any other status is the engine
// refusing the request (KindEngine).
func (s *Streamer) statusFailure(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	kind := engine.KindEngine
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		kind = engine.KindUnavailable
	}
	return &engine.Error{Kind: kind, Engine: s.engine, Status: resp.StatusCode,
		Message: ErrorMessage(body), Err: engine.ErrEngineReported}
}
