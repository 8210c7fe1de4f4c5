package streaming

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// DefaultKeepAlive is the keep-alive interval of Serve (api.md §3: a comment
// at least every 15 s while nothing else is sent).
const DefaultKeepAlive = 15 * time.Second

// ErrInvalidLastEventID is returned (wrapped) by ParseLastEventID.
var ErrInvalidLastEventID = errors.New("streaming: invalid Last-Event-ID")

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	keepAlive time.Duration
	verbose   bool
	lazyEnd   bool
}

// WithKeepAlive sets the idle interval after which Serve writes
// ": keep-alive\n\n" (default DefaultKeepAlive); d ≤ 0 turns keep-alives off.
func WithKeepAlive(d time.Duration) ServeOption {
	return func(c *serveConfig) { c.keepAlive = d }
}

// WithVerbose makes Serve write the verbose alternative of frames appended
// with AppendVerbose.
func WithVerbose(v bool) ServeOption {
	return func(c *serveConfig) { c.verbose = v }
}

// WithoutFinalFlush makes Serve return after writing the terminal frame
// without flushing it, for a caller that ends the response right after: an
// HTTP/1.1 handler's return flushes the last frames together with the end of
// the chunked body, one write to the connection instead of two.
func WithoutFinalFlush() ServeOption {
	return func(c *serveConfig) { c.lazyEnd = true }
}

// Serve writes the frames of log after `after` to w as SSE. It returns nil
// once the terminal frame has been written (at once when the reader already
// had it), ctx.Err() when ctx is done first, or the first error of a write or
// of flush. It starts no goroutine.
//
// Every frame that is ready goes out in one Write, taken straight from the
// log's shared buffer, and flush is called only once Serve has caught up with
// the log: several frames per write and flush under load, one when idle. A
// nil flush is allowed (w needs no flushing). When nothing was written for
// the keep-alive interval, Serve writes ": keep-alive\n\n" and flushes.
func Serve(ctx context.Context, w io.Writer, flush func() error, log *Log, after uint64, opts ...ServeOption) error {
	cfg := serveConfig{keepAlive: DefaultKeepAlive}
	for _, opt := range opts {
		opt(&cfg)
	}
	s := server{w: w, flush: flush, log: log, verbose: cfg.verbose, keepAlive: cfg.keepAlive, lazyEnd: cfg.lazyEnd,
		wake: make(chan struct{}, 1)}
	log.subscribe(s.wake)
	defer log.unsubscribe(s.wake)
	if s.keepAlive > 0 {
		s.lastWrite = time.Now()
		defer s.stopTimer()
	}
	return s.run(ctx, after)
}

// server is the state of one Serve call.
type server struct {
	w       io.Writer
	flush   func() error // nil: nothing to flush
	log     *Log
	verbose bool
	lazyEnd bool          // the terminal frame is left for the caller to flush
	wake    chan struct{} // subscribed to log, capacity 1
	scratch []byte        // verbose frames are assembled here

	keepAlive time.Duration // ≤ 0: keep-alives are off
	timer     *time.Timer   // made on the first wait, so a late reader needs none
	lastWrite time.Time
}

func (s *server) run(ctx context.Context, after uint64) error {
	var keepAliveC <-chan time.Time
	pending := false // written but not flushed
	for {
		out, last, finished, built := s.log.view(after, s.verbose, s.scratch)
		if built {
			s.scratch = out
		}
		if len(out) > 0 {
			if err := s.write(out); err != nil {
				return err
			}
			after = last
			pending = true
		}
		if finished {
			return s.flushIf(pending && !s.lazyEnd)
		}
		if pending {
			// Write again before flushing when frames arrived during the
			// write (or the signal is a stale one for frames already sent).
			select {
			case <-s.wake:
				continue
			case <-ctx.Done():
				return ctx.Err()
			default:
			}
			if err := s.flushIf(true); err != nil {
				return err
			}
			pending = false
		}
		if s.keepAlive > 0 && s.timer == nil {
			s.timer = time.NewTimer(s.keepAlive - time.Since(s.lastWrite))
			keepAliveC = s.timer.C
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-keepAliveC:
			if err := s.keepAliveDue(); err != nil {
				return err
			}
		}
	}
}

// write writes p and records the time for the keep-alive.
func (s *server) write(p []byte) error {
	if _, err := s.w.Write(p); err != nil {
		return fmt.Errorf("streaming: write: %w", err)
	}
	if s.keepAlive > 0 {
		s.lastWrite = time.Now()
	}
	return nil
}

func (s *server) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// keepAliveDue handles the keep-alive timer, which is re-armed only when it
// fires rather than on every write: it sends a keep-alive when nothing was
// written for the interval, and re-arms the timer for the next one.
func (s *server) keepAliveDue() error {
	if idle := time.Since(s.lastWrite); idle < s.keepAlive {
		s.timer.Reset(s.keepAlive - idle)
		return nil
	}
	s.timer.Reset(s.keepAlive)
	if err := s.write([]byte(keepAlive)); err != nil {
		return err
	}
	return s.flushIf(true)
}

func (s *server) flushIf(pending bool) error {
	if !pending || s.flush == nil {
		return nil
	}
	if err := s.flush(); err != nil {
		return fmt.Errorf("streaming: flush: %w", err)
	}
	return nil
}

// ParseLastEventID parses the Last-Event-ID header of a reconnecting SSE
// client: "" is 0 (from the start), otherwise a decimal sequence number.
func ParseLastEventID(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal number", ErrInvalidLastEventID, s)
		}
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is out of range", ErrInvalidLastEventID, s)
	}
	return id, nil
}
