// Package logsink batches log lines into few writes: under load the daemon
// logs thousands of lines a second, and one write syscall per line costs
// more than the line. Lines reach the underlying writer within the flush
// interval, on Flush, and whenever the buffer fills.
package logsink

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer is a buffered, periodically flushed io.Writer safe for concurrent
// use. Each Write is one whole log line (zerolog writes one event per call),
// so lines are never interleaved.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// New buffers w and flushes at least every interval until Close.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	s := &Writer{buf: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				_ = s.Flush()
			}
		}
	}()
	return s
}

// Write buffers one line.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// Flush writes what is buffered.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Flush()
}

// Close stops the flusher and flushes.
func (s *Writer) Close() error {
	close(s.stop)
	<-s.done
	return s.Flush()
}
