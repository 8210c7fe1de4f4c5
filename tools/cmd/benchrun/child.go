package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bounds of the child processes' output kept in memory.
const (
	maxFirstLine = 4 << 10
	maxStderr    = 8 << 10
)

// Errors of the child processes.
var (
	// ErrChildExited: a child process ended while it was still needed.
	ErrChildExited = errors.New("process exited")
	// ErrBadFirstLine: a child's first line of output was not
	// "listening on http://<addr>".
	ErrBadFirstLine = errors.New("unexpected first line of output")
)

// StartError says why a child process did not come up, with the end of what
// it wrote to stderr.
type StartError struct {
	Name   string
	Reason string
	Stderr string
	Err    error
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("starting %s: %s", e.Name, e.Reason)
	if e.Stderr != "" {
		msg += "; its stderr ends with:\n" + indent(e.Stderr)
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

// child is a started binary that announced "listening on <url>" as its first
// line of output.
type child struct {
	name   string
	cmd    *exec.Cmd
	url    string
	stderr *tailBuffer
	done   chan struct{}
	err    error // how it exited; set before done is closed
}

// startChild runs path with args and env and waits up to timeout for its
// first line, which must be "listening on <url>". The child is stopped again
// on every failure.
func startChild(ctx context.Context, name, path string, args, env []string, timeout time.Duration) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	first := &firstLineWriter{line: make(chan string, 1)}
	tail := &tailBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = first, tail
	// Bounds Wait when something else holds the output pipes.
	cmd.WaitDelay = 2 * time.Second
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, &StartError{Name: name, Reason: err.Error(), Err: err}
	}
	c := &child{name: name, cmd: cmd, stderr: tail, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	fail := func(reason string, err error) (*child, error) {
		c.stop(time.Second)
		return nil, &StartError{Name: name, Reason: reason, Stderr: tail.String(), Err: err}
	}
	select {
	case line := <-first.line:
		u, ok := strings.CutPrefix(line, "listening on ")
		if !ok || !strings.HasPrefix(u, "http://") {
			return fail(fmt.Sprintf("first line of output is %q, want \"listening on http://<addr>\"", line), ErrBadFirstLine)
		}
		c.url = strings.TrimSpace(u)
		return c, nil
	case <-c.done:
		return nil, &StartError{Name: name, Reason: fmt.Sprintf("exited before listening (%v)", c.err),
			Stderr: tail.String(), Err: ErrChildExited}
	case <-timer.C:
		return fail(fmt.Sprintf("no \"listening on\" line within %v", timeout), context.DeadlineExceeded)
	case <-ctx.Done():
		return fail("interrupted", ctx.Err())
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited returns how the child ended, or nil while it runs.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%w: %s (%v); its stderr ends with:\n%s", ErrChildExited, c.name, c.err, indent(c.stderr.String()))
	default:
		return nil
	}
}

// stop sends SIGTERM, waits up to grace, then kills the child; it returns
// when the child is gone. It says whether SIGKILL was needed.
func (c *child) stop(grace time.Duration) (killed bool) {
	select {
	case <-c.done:
		return false
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-c.done:
		return false
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		<-c.done // Wait returns at the latest WaitDelay after the kill
		return true
	}
}

// firstLineWriter hands over the first line written to it and drops the
// rest of the output.
type firstLineWriter struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (w *firstLineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	i := bytes.IndexByte(w.buf, '\n')
	switch {
	case i >= 0:
		w.buf = w.buf[:i]
	case len(w.buf) < maxFirstLine:
		return len(p), nil
	}
	w.sent = true
	w.line <- strings.TrimRight(string(w.buf), "\r")
	w.buf = nil
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// indent prefixes every line of s with four spaces.
func indent(s string) string {
	if s == "" {
		return "    (nothing)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
