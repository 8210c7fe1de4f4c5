package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

// Stream is an admitted stream:true request: Serve writes it.
type Stream struct {
	svc    *Service
	taskID string
	log    *streaming.Log
	r      *renderer
	usage  bool // stream_options.include_usage

	w         io.Writer
	flush     func() error
	lastWrite time.Time
}

// ID is the completion id (chatcmpl-… or cmpl-…).
func (st *Stream) ID() string { return st.r.id }

// Serve writes the task's stream as OpenAI SSE chunks to w (the caller has
// sent the headers) and returns nil once `data: [DONE]` or an in-stream
// error is written. It returns ctx.Err() when ctx is done first, and the
// error of a failed write or flush; in both cases the client is gone and
// Serve cancels the task before it returns. It starts no goroutine.
//
// Token frames already in the log go out together in one write; flush is
// called once Serve has caught up with the log. A nil flush is allowed.
// Serve is called once per Stream.
func (st *Stream) Serve(ctx context.Context, w io.Writer, flush func() error) error {
	st.w, st.flush = w, flush
	err := st.serve(ctx)
	if err != nil {
		st.svc.abandon(st.taskID)
	}
	return err
}

func (st *Stream) serve(ctx context.Context) error {
	bufs, _ := st.svc.bufs.Get().(*streamBufs)
	if bufs == nil {
		bufs = &streamBufs{}
	}
	var (
		after   uint64
		sse     = bufs.sse[:0]
		out     = bufs.out[:0]
		pending bool // written but not flushed
	)
	defer func() {
		if cap(sse) <= maxPooledStreamBuf && cap(out) <= maxPooledStreamBuf {
			bufs.sse, bufs.out = sse[:0], out[:0]
			st.svc.bufs.Put(bufs)
		}
	}()
	// The first flush sends the headers (and a chat's role chunk): the
	// client learns at once that it was admitted.
	out = st.r.role(out)
	if len(out) > 0 {
		if err := st.write(out); err != nil {
			return err
		}
	}
	st.lastWrite = time.Now()
	if err := st.flushNow(); err != nil {
		return err
	}
	waitCtx, stopWait := st.waitContext(ctx)
	defer func() { stopWait() }()
	for {
		if err := ctx.Err(); err != nil {
			return err // the client left while frames kept coming
		}
		var last uint64
		sse, last, _ = st.log.ReadFrom(after, false, sse[:0])
		after = last
		var done bool
		var err error
		out, done, err = st.render(out[:0], sse)
		if err != nil {
			return err
		}
		if len(out) > 0 {
			if err := st.write(out); err != nil {
				return err
			}
			pending = true
		}
		if done {
			return st.flushIf(pending)
		}
		if pending && st.log.LastSeq() > after {
			continue // more frames arrived during the write: write before flushing
		}
		if err := st.flushIf(pending); err != nil {
			return err
		}
		pending = false
		err = st.log.Wait(waitCtx, after)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			stopWait()
			if err := st.keepAliveDue(); err != nil {
				return err
			}
			waitCtx, stopWait = st.waitContext(ctx)
		default:
			return err
		}
	}
}

// render appends the chunks of the frames in sse to out; done reports that
// the stream's last event is among them.
func (st *Stream) render(out, sse []byte) ([]byte, bool, error) {
	for len(sse) > 0 {
		event, data, rest, err := nextFrame(sse)
		if err != nil {
			return out, false, err
		}
		sse = rest
		switch {
		case bytes.Equal(event, evToken):
			text, err := tokenText(data)
			if err != nil {
				return out, false, err
			}
			out = st.r.token(out, text)
		case bytes.Equal(event, evEnd), bytes.Equal(event, evError):
			end, failed, err := terminal(event, data)
			if err != nil {
				return out, false, err
			}
			if failed != nil {
				return streamError(out, failed), true, nil
			}
			out = st.r.final(out, finishReason(end))
			if st.usage {
				out = st.r.usage(out, usageOf(end, st.svc.tasks.PromptTokens(st.taskID)))
			}
			return append(out, doneEvent...), true, nil
		}
	}
	return out, false, nil
}

// waitContext bounds a wait for frames by the next keep-alive.
func (st *Stream) waitContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if st.svc.keepAlive <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, st.lastWrite.Add(st.svc.keepAlive))
}

// keepAliveDue writes a keep-alive comment when nothing was written for the
// keep-alive interval.
func (st *Stream) keepAliveDue() error {
	if time.Since(st.lastWrite) < st.svc.keepAlive {
		return nil
	}
	if err := st.write([]byte(keepAlive)); err != nil {
		return err
	}
	return st.flushNow()
}

func (st *Stream) write(p []byte) error {
	if _, err := st.w.Write(p); err != nil {
		return fmt.Errorf("openai: write: %w", err)
	}
	st.lastWrite = time.Now()
	return nil
}

func (st *Stream) flushIf(pending bool) error {
	if !pending {
		return nil
	}
	return st.flushNow()
}

func (st *Stream) flushNow() error {
	if st.flush == nil {
		return nil
	}
	if err := st.flush(); err != nil {
		return fmt.Errorf("openai: flush: %w", err)
	}
	return nil
}
