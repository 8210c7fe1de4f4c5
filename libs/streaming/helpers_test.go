package streaming_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

// waitTimeout bounds every wait on another goroutine in these tests.
const waitTimeout = 10 * time.Second

// fakeClock is a manually advanced clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is an http.ResponseWriter stand-in that records writes and
// flushes and signals every flush on flushed.
type recorder struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	writes   []string
	flushes  int
	writeErr error // returned by Write when set
	flushErr error // returned by flush when set
	flushed  chan struct{}
}

func newRecorder() *recorder { return &recorder{flushed: make(chan struct{}, 4096)} }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	r.writes = append(r.writes, string(p))
	r.buf.Write(p)
	return len(p), nil
}

func (r *recorder) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flushErr != nil {
		return r.flushErr
	}
	r.flushes++
	r.flushed <- struct{}{}
	return nil
}

func (r *recorder) counts() (writes, flushes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes), r.flushes
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// awaitFlush waits for the next flush of r; false on timeout.
func awaitFlush(r *recorder) bool {
	select {
	case <-r.flushed:
		return true
	case <-time.After(waitTimeout):
		return false
	}
}

// serving is a Serve call running in a goroutine; a test cleanup cancels it
// and waits for it.
type serving struct {
	cancel context.CancelFunc
	errc   chan error
}

func startServe(t *testing.T, w *recorder, log *streaming.Log, after uint64, opts ...streaming.ServeOption) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{cancel: cancel, errc: make(chan error, 1)}
	go func() { s.errc <- streaming.Serve(ctx, w, w.flush, log, after, opts...) }()
	t.Cleanup(func() {
		cancel()
		<-s.errc
	})
	return s
}

// wait returns Serve's error once it has returned; a timeout error when it
// does not return in time.
func (s *serving) wait() error {
	select {
	case err := <-s.errc:
		s.errc <- err // keep it for the cleanup
		return err
	case <-time.After(waitTimeout):
		return fmt.Errorf("Serve did not return within %v", waitTimeout)
	}
}

// stop cancels Serve and returns its error.
func (s *serving) stop() error {
	s.cancel()
	return s.wait()
}

// frameText is an independent encoding of one SSE frame.
func frameText(seq uint64, event, data string) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", seq, event, data)
}

// framesText encodes frames with frameText, taking the data of a frame from
// verbose when it has an entry there.
func framesText(frames []streaming.Frame, verbose map[uint64]string) string {
	var sb strings.Builder
	for _, f := range frames {
		data, ok := verbose[f.Seq]
		if !ok {
			data = string(f.Data)
		}
		sb.WriteString(frameText(f.Seq, f.Event, data))
	}
	return sb.String()
}

// endFrame is a Finish callback that writes an end frame with tokens_out.
func endFrame(tokens int) (string, []byte) {
	return "end", fmt.Appendf(nil, `{"tokens_out":%d,"canceled":false}`, tokens)
}

// eventually polls cond every millisecond until it holds (true) or
// waitTimeout passes (false).
func eventually(cond func() bool) bool {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			return false
		}
	}
	return true
}

// taskLogHint is what the daemon passes to Log.Grow for a task of
// maxTokens when it starts.
func taskLogHint(maxTokens int) (bytes, frames int) {
	return min(maxTokens*48+512, 64<<10), maxTokens + 4
}
