package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClient is an engine whose behaviour each test scripts; it records
// every call and whether its context ended.
type fakeClient struct {
	name     string
	generate func(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error)
	mu       sync.Mutex
	calls    int
	closed   chan struct{} // closed when a Generate call returns canceled or failed
}

func (f *fakeClient) Generate(ctx context.Context, req engine.Request, emit func([]string) error) (engine.Result, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	res, err := f.generate(ctx, req, emit)
	// A cancel can land while emit runs: then emit's ErrClosed, not the
	// context, ends the call, as it does in the real adapters.
	if ctx.Err() != nil || err != nil {
		select {
		case <-f.closed:
		default:
			close(f.closed)
		}
	}
	return res, err
}

func (f *fakeClient) Probe(context.Context) (engine.Health, error) {
	return engine.Health{Live: true, Ready: true, SlotsFree: -1}, nil
}
func (f *fakeClient) Engine() string { return f.name }
func (f *fakeClient) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type fakeEngines map[string]*fakeClient

func (f fakeEngines) Client(p nodeapi.PoolView) (engine.Client, error) { return f[p.PoolID], nil }

// streamOf returns an engine that emits the chunks in batches and ends.
func streamOf(batches ...[]string) func(context.Context, engine.Request, func([]string) error) (engine.Result, error) {
	return func(ctx context.Context, _ engine.Request, emit func([]string) error) (engine.Result, error) {
		n := 0
		for _, b := range batches {
			if err := emit(b); err != nil {
				return engine.Result{}, err
			}
			n += len(b)
		}
		return engine.Result{TokensOut: n, FinishReason: engine.FinishLength}, nil
	}
}

// blocking emits one chunk, then waits for the context to end.
func blocking(ctx context.Context, _ engine.Request, emit func([]string) error) (engine.Result, error) {
	if err := emit([]string{"first"}); err != nil {
		return engine.Result{}, err
	}
	<-ctx.Done()
	return engine.Result{}, ctx.Err()
}

type harness struct {
	svc     *Service
	reg     *nodeapi.Registry
	store   *artifacts.MemStore
	engines fakeEngines
	metrics *prometheus.Registry // the service's series
}

func newHarness(t testing.TB, opt Options, engines fakeEngines, pools ...nodeapi.PoolSpec) *harness {
	t.Helper()
	return newHarnessWith(t, opt, nil, engines, pools...)
}

// newHarnessWith is newHarness with a session store (nil: the default).
func newHarnessWith(t testing.TB, opt Options, sess Sessions, engines fakeEngines, pools ...nodeapi.PoolSpec) *harness {
	t.Helper()
	reg := nodeapi.NewRegistry(time.Minute)
	if _, err := reg.Register(nodeapi.NodeSpec{NodeID: "n1", Static: true, Pools: pools}); err != nil {
		t.Fatal(err)
	}
	for _, p := range pools {
		if err := reg.Report(p.PoolID, nodeapi.PoolReport{PoolID: p.PoolID, Ready: true, SlotsFree: -1}); err != nil {
			t.Fatal(err)
		}
	}
	promReg := prometheus.NewRegistry()
	m, err := metrics.New(promReg)
	if err != nil {
		t.Fatal(err)
	}
	if opt.QueueCapacity == 0 {
		opt.QueueCapacity = 16
	}
	if opt.MaxTokens == 0 {
		opt.MaxTokens = 1000
	}
	if opt.MaxRetained == 0 {
		opt.MaxRetained = 1000
	}
	if opt.Retention == 0 {
		opt.Retention = time.Minute
	}
	store := artifacts.NewMemStore()
	spool := artifacts.NewSpool(store, 1<<20)
	n := 0
	var mu sync.Mutex
	svc, err := New(opt, Deps{
		Events: streaming.NewHub(time.Minute), Pools: reg, Engines: engines, Transcripts: spool,
		Metrics: m, Log: zerolog.Nop(), Placer: placement.New(placement.LeastLoaded), Sessions: sess,
		NewID: func() string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return "task-" + string(rune('a'+n))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	t.Cleanup(func() {
		checkPoolCache(t, svc)
		checkPoolSeries(t, svc, promReg)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		svc.Shutdown(ctx)
		_ = spool.Close(context.Background())
	})
	return &harness{svc: svc, reg: reg, store: store, engines: engines, metrics: promReg}
}

func pool(id string, slots int) nodeapi.PoolSpec {
	return nodeapi.PoolSpec{PoolID: id, Engine: "llamacpp", URL: "http://127.0.0.1:1", Models: []string{"m"}, SlotsTotal: slots}
}

func req(extra func(*wire.TaskRequest)) wire.TaskRequest {
	r := wire.TaskRequest{Workload: wire.WorkloadCompletion, ModelRef: "m", Prompt: "hi"}
	if extra != nil {
		extra(&r)
	}
	return r
}

// waitEnd waits for the task's terminal frame and returns all frames.
func waitEnd(t *testing.T, h *harness, id string) []streaming.Frame {
	t.Helper()
	l, err := h.svc.Log(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("task %s did not end", id)
	}
	return l.Frames(0)
}

func endOf(t *testing.T, frames []streaming.Frame) (string, json.RawMessage) {
	t.Helper()
	last := frames[len(frames)-1]
	return last.Event, last.Data
}

func TestCompletesAndStoresTranscript(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"a", "b"}, []string{"c"})}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 2))
	adm, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	frames := waitEnd(t, h, adm.TaskID)
	is.Equal(frames[0].Event, "started") // first
	ev, data := endOf(t, frames)
	is.Equal(ev, "end") // completed
	var end wire.EndFrame
	is.NoErr(json.Unmarshal(data, &end))
	is.Equal(end.TokensOut, 3)                    // the engine's count
	is.Equal(end.FinishReason, wire.FinishLength) // mapped
	var st wire.TaskStatus
	deadline := time.Now().Add(5 * time.Second)
	for st.TranscriptArtifactID == "" && time.Now().Before(deadline) {
		st, err = h.svc.Status(context.Background(), adm.TaskID)
		is.NoErr(err)
		time.Sleep(time.Millisecond)
	}
	is.Equal(st.State, wire.TaskCompleted) // state
	a, err := h.store.Get(context.Background(), st.TranscriptArtifactID)
	is.NoErr(err)
	is.Equal(a.Kind, "trace") // transcript kind
}

func TestCancelRunningClosesTheEngineCall(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
	adm, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	l, _ := h.svc.Log(context.Background(), adm.TaskID)
	for l.Tokens() == 0 {
		is.NoErr(l.Wait(context.Background(), l.LastSeq()))
	}
	is.NoErr(h.svc.Cancel(context.Background(), adm.TaskID))
	frames := l.Frames(0)
	ev, data := endOf(t, frames)
	is.Equal(ev, "end") // ended at once, before Cancel returned
	var end wire.EndFrame
	is.NoErr(json.Unmarshal(data, &end))
	is.True(end.Canceled)      // canceled
	is.Equal(end.TokensOut, 1) // the one token streamed
	select {
	case <-eng.closed:
	case <-time.After(time.Second):
		t.Fatal("engine call not closed")
	}
	is.NoErr(h.svc.Cancel(context.Background(), adm.TaskID)) // idempotent
}

func TestRetryOnAnotherPoolBeforeFirstToken(t *testing.T) {
	is := is.New(t)
	bad := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(context.Context, engine.Request, func([]string) error) (engine.Result, error) {
		return engine.Result{}, &engine.Error{Kind: engine.KindUnavailable, Status: 500}
	}}
	good := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: streamOf([]string{"x"})}
	h := newHarness(t, Options{Retries: 2}, fakeEngines{"a": bad, "b": good}, pool("a", 4), pool("b", 1))
	adm, err := h.svc.Admit(context.Background(), req(nil)) // least-loaded picks a (4 free)
	is.NoErr(err)
	ev, _ := endOf(t, waitEnd(t, h, adm.TaskID))
	is.Equal(ev, "end")       // the client never sees the failure
	is.Equal(bad.Calls(), 1)  // tried first
	is.Equal(good.Calls(), 1) // then the other pool
}

func TestFailuresMapToStreamCodes(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code wire.ErrorCode
	}{
		{"reset after first token", &engine.Error{Kind: engine.KindReset, Chunks: 1}, wire.CodeWorkerReset},
		{"engine error", &engine.Error{Kind: engine.KindEngine, Message: "bad prompt"}, wire.CodeEngineError},
		{"token timeout", &engine.Error{Kind: engine.KindTimeout}, wire.CodeDecodeTimeout},
		{"unexpected", errors.New("boom"), wire.CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(_ context.Context, _ engine.Request, emit func([]string) error) (engine.Result, error) {
				_ = emit([]string{"t"})
				return engine.Result{}, tc.err
			}}
			h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
			adm, err := h.svc.Admit(context.Background(), req(nil))
			is.NoErr(err)
			ev, data := endOf(t, waitEnd(t, h, adm.TaskID))
			is.Equal(ev, "error") // failed
			var ef wire.ErrorFrame
			is.NoErr(json.Unmarshal(data, &ef))
			is.Equal(ef.Code, tc.code) // mapped code
		})
	}
}

func TestShutdownEndsRunningTasks(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
	running, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	queued, err := h.svc.Admit(context.Background(), req(nil))
	is.NoErr(err)
	l, _ := h.svc.Log(context.Background(), running.TaskID)
	for l.Tokens() == 0 {
		is.NoErr(l.Wait(context.Background(), l.LastSeq()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no grace left
	h.svc.Shutdown(ctx)
	for _, id := range []string{running.TaskID, queued.TaskID} {
		_, data := endOf(t, waitEnd(t, h, id))
		var end wire.EndFrame
		is.NoErr(json.Unmarshal(data, &end))
		is.True(end.Canceled)                           // ended
		is.Equal(end.FinishReason, wire.FinishShutdown) // by the shutdown
	}
	_, err = h.svc.Admit(context.Background(), req(nil))
	is.True(err != nil) // no admissions after shutdown
}

func TestQueuePolicies(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: blocking}
	h := newHarness(t, Options{QueueCapacity: 1, QueuePolicy: admission.DropLRU}, fakeEngines{"p1": eng}, pool("p1", 1))
	_, err := h.svc.Admit(context.Background(), req(nil)) // runs
	is.NoErr(err)
	batch, err := h.svc.Admit(context.Background(), req(func(r *wire.TaskRequest) { r.Priority = wire.PriorityBatch }))
	is.NoErr(err)                                        // queued
	_, err = h.svc.Admit(context.Background(), req(nil)) // evicts the batch task
	is.NoErr(err)
	ev, data := endOf(t, waitEnd(t, h, batch.TaskID))
	is.Equal(ev, "error") // evicted
	var ef wire.ErrorFrame
	is.NoErr(json.Unmarshal(data, &ef))
	is.Equal(ef.Code, wire.CodeQueueFullDropLRU) // why
	_, err = h.svc.Admit(context.Background(), req(func(r *wire.TaskRequest) { r.Priority = wire.PriorityBatch }))
	is.True(err != nil) // nothing of equal or lower priority to evict
}

func TestAFinishedTaskKeepsOnlyItsOutcome(t *testing.T) {
	is := is.New(t)
	var sent engine.Request
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(_ context.Context, r engine.Request, emit func([]string) error) (engine.Result, error) {
		sent = r
		return engine.Result{TokensOut: 1}, emit([]string{"x"})
	}}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
	adm, err := h.svc.Admit(context.Background(), req(func(r *wire.TaskRequest) { r.Prompt = "a long private prompt" }))
	is.NoErr(err)
	waitEnd(t, h, adm.TaskID)
	is.Equal(sent.Prompt, "a long private prompt") // the engine got the prompt
	// The record is retired right after the terminal frame is written.
	var e *endedTask
	eventually(t, "the record retired", func() bool {
		h.svc.mu.Lock()
		defer h.svc.mu.Unlock()
		_, live := h.svc.tasks[adm.TaskID]
		var ended bool
		e, ended = h.svc.finished[adm.TaskID]
		return !live && ended // the live record is gone, a compact one is kept (it has no field for the prompt)
	})
	is.Equal(e.id, adm.TaskID)   // with its identity
	is.Equal(e.state, Completed) // and its outcome
	st, err := h.svc.Status(context.Background(), adm.TaskID)
	is.NoErr(err)                          // its status is served
	is.Equal(st.State, wire.TaskCompleted) // from it
	is.Equal(st.TokensOut, 1)              // with the tokens
	is.Equal(st.PoolID, "p1")              // and the pool
}

func TestAFinishedTaskAnswersResubmissionCancelAndUsage(t *testing.T) {
	is := is.New(t)
	eng := &fakeClient{name: "llamacpp", closed: make(chan struct{}), generate: func(_ context.Context, _ engine.Request, emit func([]string) error) (engine.Result, error) {
		return engine.Result{TokensOut: 1, PromptTokens: 7}, emit([]string{"x"})
	}}
	h := newHarness(t, Options{}, fakeEngines{"p1": eng}, pool("p1", 1))
	named := func(max int) wire.TaskRequest {
		return req(func(r *wire.TaskRequest) { r.TaskID, r.MaxTokens = "client-1", &max })
	}
	adm, err := h.svc.Admit(context.Background(), named(4))
	is.NoErr(err)
	waitEnd(t, h, adm.TaskID)
	again, err := h.svc.Admit(context.Background(), named(4))
	is.NoErr(err)                      // the same body again
	is.Equal(again.TaskID, "client-1") // is the same admission
	_, err = h.svc.Admit(context.Background(), named(5))
	is.Equal(codeOf(err), wire.CodeConflict)                 // another body under its id: 409
	is.NoErr(h.svc.Cancel(context.Background(), adm.TaskID)) // canceling it is a no-op
	is.Equal(h.svc.PromptTokens(adm.TaskID), 7)              // the engine's prompt count stays
	_, err = h.svc.Status(context.Background(), "client-2")
	is.Equal(codeOf(err), wire.CodeNotFound) // an unknown id is not found
}

// codeOf is the contract code of a service error, "" for none.
func codeOf(err error) wire.ErrorCode {
	if e, ok := problem.As(err); ok {
		return e.Code
	}
	return ""
}
