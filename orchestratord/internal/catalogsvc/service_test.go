package catalogsvc

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const digestZero = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// fakeTasks records what a retirement asked of the task service.
type fakeTasks struct {
	mu       sync.Mutex
	queued   []string
	canceled chan string
}

func (f *fakeTasks) EndQueued(model string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued = append(f.queued, model)
	return 0
}

func (f *fakeTasks) CancelRunning(model string) int {
	f.canceled <- model
	return 0
}

func (f *fakeTasks) endedQueued() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queued...)
}

// fakeMetrics records orchd_model_state as a map.
type fakeMetrics struct {
	mu     sync.Mutex
	states map[string]metrics.ModelState
}

func (f *fakeMetrics) SetModelState(id string, s metrics.ModelState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[id] = s
}

func (f *fakeMetrics) ForgetModel(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.states, id)
}

func (f *fakeMetrics) snapshot() map[string]metrics.ModelState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]metrics.ModelState{}
	for k, v := range f.states {
		out[k] = v
	}
	return out
}

type fixture struct {
	svc     *Service
	gate    *Gate
	tasks   *fakeTasks
	metrics *fakeMetrics
	now     time.Time
}

func newFixture(t *testing.T, store catalog.Store) *fixture {
	t.Helper()
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { return now }
	cat := catalog.New(store, catalog.WithClock(clock))
	f := &fixture{tasks: &fakeTasks{canceled: make(chan string, 8)}, metrics: &fakeMetrics{states: map[string]metrics.ModelState{}}, now: now}
	svc, err := New(cat, Options{RetireGrace: 30 * time.Second, Now: clock}, Deps{Tasks: f.tasks, Metrics: f.metrics, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	f.svc, f.gate = svc, NewGate(cat)
	return f
}

func codeOf(err error) wire.ErrorCode {
	if p, ok := problem.As(err); ok {
		return p.Code
	}
	if err != nil {
		return wire.CodeInternal
	}
	return ""
}

func TestCreateGetListDelete(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	f := newFixture(t, catalog.NewMemStore())
	in := wire.CatalogModel{
		ID: "org/m", Digest: digestZero, SourceURL: "file:///models/m.gguf", Tags: []string{"chat"},
		Manifests:   []wire.Manifest{{Digest: digestZero, SizeBytes: 7}},
		Signatures:  []wire.Signature{{Signer: "acme", Algo: "ed25519", Verified: true, TimestampMs: 1}},
		SBOM:        &wire.SBOM{URI: "https://x/sbom.json", Digest: digestZero},
		TrustPolicy: &wire.TrustPolicy{Mode: wire.TrustPermissive, AllowedRegistries: []string{"hf.co"}},
		State:       wire.ModelRetired, CreatedMs: 5, Verified: new(true), // the server's fields are ignored
	}
	out, err := f.svc.Create(ctx, in)
	is.NoErr(err) // created
	want := in
	want.State, want.CreatedMs, want.Verified = wire.ModelActive, f.now.UnixMilli(), nil
	is.Equal(out, want) // the stored entry: Active, created now, not verified
	got, err := f.svc.Get(ctx, "org/m")
	is.NoErr(err)       // get
	is.Equal(got, want) // the same
	list, err := f.svc.List(ctx)
	is.NoErr(err)                                                                               // list
	is.Equal(list, []wire.CatalogModel{want})                                                   // one entry
	is.Equal(f.metrics.snapshot(), map[string]metrics.ModelState{"org/m": metrics.ModelActive}) // orchd_model_state
	is.NoErr(f.svc.Delete(ctx, "org/m"))                                                        // delete
	is.Equal(f.metrics.snapshot(), map[string]metrics.ModelState{})                             // series forgotten
	is.Equal(codeOf(f.svc.Delete(ctx, "org/m")), wire.CodeNotFound)                             // gone
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, catalog.NewMemStore())
	_, err := f.svc.Create(ctx, wire.CatalogModel{ID: "dup", Digest: digestZero})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		call    func() error
		code    wire.ErrorCode
		field   string
		message string
	}{
		{name: "no id", call: func() error { _, err := f.svc.Create(ctx, wire.CatalogModel{Digest: digestZero}); return err },
			code: wire.CodeInvalidParams, field: "id", message: "id required"},
		{name: "no digest", call: func() error { _, err := f.svc.Create(ctx, wire.CatalogModel{ID: "m"}); return err },
			code: wire.CodeInvalidParams, field: "digest", message: "digest required"},
		{name: "bad digest", call: func() error { _, err := f.svc.Create(ctx, wire.CatalogModel{ID: "m", Digest: "md5:00"}); return err },
			code: wire.CodeInvalidParams, field: "digest", message: "digest must be sha256:<64 lowercase hex>"},
		{name: "duplicate", call: func() error {
			_, err := f.svc.Create(ctx, wire.CatalogModel{ID: "dup", Digest: digestZero})
			return err
		},
			code: wire.CodeConflict, message: "model dup already exists"},
		{name: "get unknown", call: func() error { _, err := f.svc.Get(ctx, "none"); return err },
			code: wire.CodeNotFound, message: "model none not found"},
		{name: "get bad id", call: func() error { _, err := f.svc.Get(ctx, "a//b"); return err },
			code: wire.CodeInvalidParams, field: "id", message: "id must be 1-128 characters of [A-Za-z0-9._:@+/-], not starting or ending with '/', without '..' or '//'"},
		{name: "verify unknown", call: func() error { _, err := f.svc.Verify(ctx, "none"); return err },
			code: wire.CodeNotFound, message: "model none not found"},
		{name: "state unknown model", call: func() error {
			_, err := f.svc.SetState(ctx, "none", wire.ModelStateRequest{State: wire.ModelRetired})
			return err
		}, code: wire.CodeNotFound, message: "model none not found"},
		{name: "state missing", call: func() error { _, err := f.svc.SetState(ctx, "dup", wire.ModelStateRequest{}); return err },
			code: wire.CodeInvalidParams, field: "state", message: "state required"},
		{name: "state unknown", call: func() error {
			_, err := f.svc.SetState(ctx, "dup", wire.ModelStateRequest{State: "Deleted"})
			return err
		},
			code: wire.CodeInvalidParams, field: "state", message: "state must be Active or Retired"},
		{name: "deadline with Active", call: func() error {
			_, err := f.svc.SetState(ctx, "dup", wire.ModelStateRequest{State: wire.ModelActive, DeadlineMs: new(int64(5))})
			return err
		}, code: wire.CodeInvalidParams, field: "deadline_ms", message: "deadline_ms applies only to state Retired"},
		{name: "negative deadline", call: func() error {
			_, err := f.svc.SetState(ctx, "dup", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(-1))})
			return err
		}, code: wire.CodeInvalidParams, field: "deadline_ms", message: "deadline_ms must be >= 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			p, ok := problem.As(tc.call())
			is.True(ok)                     // a contract error
			is.Equal(p.Code, tc.code)       // code
			is.Equal(p.Field, tc.field)     // field
			is.Equal(p.Message, tc.message) // message
		})
	}
}
