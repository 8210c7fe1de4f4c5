package openai

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeTasks is a task service whose tasks the test drives through their
// logs; it records every call.
type fakeTasks struct {
	mu        sync.Mutex
	specs     []tasks.Spec
	logs      map[string]*streaming.Log
	abandoned []string // canceled because the client went away
	submit    error    // returned by Submit when set
	next      int
	prompt    map[string]int // PromptTokens per task
	budget    wire.Budget    // returned with every admission
}

func newFakeTasks() *fakeTasks {
	return &fakeTasks{logs: map[string]*streaming.Log{}, prompt: map[string]int{}}
}

// PromptTokens returns the count set with setPrompt.
func (f *fakeTasks) PromptTokens(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.prompt[id]
}

func (f *fakeTasks) setPrompt(id string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prompt[id] = n
}

func (f *fakeTasks) Submit(spec tasks.Spec) (tasks.Admission, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.specs = append(f.specs, spec)
	if f.submit != nil {
		return tasks.Admission{}, f.submit
	}
	f.next++
	id := "task-" + string(rune('a'+f.next-1))
	l := streaming.NewLog()
	_, _ = l.Append(wire.EventStarted, []byte(`{"queue_position":0,"predicted_start_ms":0}`))
	f.logs[id] = l
	return tasks.Admission{ID: id, Budget: f.budget}, nil
}

func (f *fakeTasks) Events(_ context.Context, id string) (*streaming.Log, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.logs[id]
	if !ok {
		return nil, problem.New(wire.CodeNotFound, "task %s not found", id)
	}
	return l, nil
}

// Cancel ends the task like the real service: an end frame, canceled.
func (f *fakeTasks) Cancel(_ context.Context, id string) error {
	f.mu.Lock()
	l := f.logs[id]
	f.mu.Unlock()
	finishCanceled(l)
	return nil
}

// Abandon is Cancel for a client that went away; it is recorded apart.
func (f *fakeTasks) Abandon(_ context.Context, id string) error {
	f.mu.Lock()
	f.abandoned = append(f.abandoned, id)
	l := f.logs[id]
	f.mu.Unlock()
	finishCanceled(l)
	return nil
}

func finishCanceled(l *streaming.Log) {
	_, _ = l.Finish(func(tokens int) (string, []byte) {
		return wire.EventEnd, wire.EndFrame{TokensOut: tokens, FinishReason: wire.FinishCanceled, Canceled: true}.AppendJSON(nil)
	})
}

func (f *fakeTasks) log(id string) *streaming.Log {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logs[id]
}

func (f *fakeTasks) Specs() []tasks.Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tasks.Spec(nil), f.specs...)
}

func (f *fakeTasks) Abandoned() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.abandoned...)
}

// end finishes a task's log with an end frame.
func end(l *streaming.Log, reason wire.FinishReason, tokensOut int) {
	_, _ = l.Finish(func(tokens int) (string, []byte) {
		if tokensOut == 0 {
			tokensOut = tokens
		}
		return wire.EventEnd, wire.EndFrame{TokensOut: tokensOut, FinishReason: reason}.AppendJSON(nil)
	})
}

// fail finishes a task's log with an error frame.
func fail(l *streaming.Log, code wire.ErrorCode, msg string) {
	_, _ = l.Finish(func(int) (string, []byte) {
		return wire.EventError, wire.ErrorFrame{Code: code, Message: msg, Engine: "llamacpp"}.AppendJSON(nil)
	})
}

var fixedNow = time.Unix(1_700_000_000, 0)

func newService(t *testing.T, ft *fakeTasks, opts ...Option) *Service {
	t.Helper()
	s, err := New(ft, func() []string { return []string{"tiny"} }, append([]Option{WithClock(func() time.Time { return fixedNow })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorder is a response writer that records writes and flushes and can
// be made to fail.
type recorder struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	flushes int
	failing bool
	wrote   chan struct{} // signaled after each write
}

func newRecorder() *recorder { return &recorder{wrote: make(chan struct{}, 64)} }

var errGone = errors.New("connection reset by peer")

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer func() {
		r.mu.Unlock()
		select {
		case r.wrote <- struct{}{}:
		default:
		}
	}()
	if r.failing {
		return 0, errGone
	}
	r.writes++
	return r.buf.Write(p)
}

func (r *recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushes++
	return nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

func (r *recorder) counts() (writes, flushes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes, r.flushes
}

func (r *recorder) fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = true
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// events splits an OpenAI SSE body into its data payloads and comments.
func events(body string) (data []string, comments int) {
	for _, block := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		switch {
		case strings.HasPrefix(block, ":"):
			comments++
		case strings.HasPrefix(block, "data: "):
			data = append(data, strings.TrimPrefix(block, "data: "))
		}
	}
	return data, comments
}
