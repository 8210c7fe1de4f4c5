package catalogsvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/boltstore"
	"github.com/orchestratord/orchestratord/libs/metrics"
)

func TestRetireEndsQueuedNowAndRunningAtTheDeadline(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	f := newFixture(t, catalog.NewMemStore())
	_, err := f.svc.Create(ctx, wire.CatalogModel{ID: "m", Digest: digestZero})
	is.NoErr(err) // created

	out, err := f.svc.SetState(ctx, "m", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(0))})
	is.NoErr(err)                                             // retired
	is.Equal(out.State, wire.ModelRetired)                    // the new state
	is.Equal(out.RetireDeadlineMs, f.now.UnixMilli())         // running tasks end now
	is.Equal(f.tasks.endedQueued(), []string{"m"})            // queued tasks ended at once
	is.Equal(f.metrics.snapshot()["m"], metrics.ModelRetired) // orchd_model_state moved
	select {
	case model := <-f.tasks.canceled:
		is.Equal(model, "m") // running tasks ended at the deadline
	case <-time.After(5 * time.Second):
		t.Fatal("running tasks were not ended at the deadline")
	}
	is.Equal(codeOf(f.gate.AdmitModel("m", false)), wire.CodePoolUnavailable) // admits nothing

	back, err := f.svc.SetState(ctx, "m", wire.ModelStateRequest{State: wire.ModelActive})
	is.NoErr(err)                                            // activated again
	is.Equal(back.RetireDeadlineMs, int64(0))                // no deadline
	is.Equal(f.metrics.snapshot()["m"], metrics.ModelActive) // the metric follows
	is.NoErr(f.gate.AdmitModel("m", false))                  // admits again
}

func TestRetireWithoutDeadlineGetsTheGraceAndActivatingCallsItOff(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	f := newFixture(t, catalog.NewMemStore())
	_, err := f.svc.Create(ctx, wire.CatalogModel{ID: "m", Digest: digestZero})
	is.NoErr(err) // created
	out, err := f.svc.SetState(ctx, "m", wire.ModelStateRequest{State: wire.ModelRetired})
	is.NoErr(err)                                                         // retired
	is.Equal(out.RetireDeadlineMs, f.now.Add(30*time.Second).UnixMilli()) // the configured grace
	f.svc.mu.Lock()
	pending := len(f.svc.retiring)
	f.svc.mu.Unlock()
	is.Equal(pending, 1) // a deadline is pending
	_, err = f.svc.SetState(ctx, "m", wire.ModelStateRequest{State: wire.ModelActive})
	is.NoErr(err) // activated before the deadline
	f.svc.mu.Lock()
	pending = len(f.svc.retiring)
	f.svc.mu.Unlock()
	is.Equal(pending, 0) // the deadline is called off
}

func TestGate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, catalog.NewMemStore())
	for _, m := range []wire.CatalogModel{
		{ID: "active", Digest: digestZero},
		{ID: "retired", Digest: digestZero},
		{ID: "strict", Digest: digestZero, TrustPolicy: &wire.TrustPolicy{Mode: wire.TrustStrict}},
	} {
		if _, err := f.svc.Create(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.SetState(ctx, "retired", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(60_000))}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		model  string
		strict bool
		code   wire.ErrorCode
	}{
		{model: "active", strict: false, code: ""},
		{model: "active", strict: true, code: wire.CodeUntrustedArtifact},
		{model: "retired", strict: false, code: wire.CodePoolUnavailable},
		{model: "strict", strict: false, code: wire.CodeUntrustedArtifact},
		{model: "not-in-catalog", strict: false, code: ""},
		{model: "not-in-catalog", strict: true, code: wire.CodeUntrustedArtifact},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			is := is.New(t)
			is.Equal(codeOf(f.gate.AdmitModel(tc.model, tc.strict)), tc.code) // the verdict
		})
	}
	is := is.New(t)
	is.Equal(f.gate.ActiveModels(), []string{"active", "strict"}) // /v1/models lists Active entries only
}

// waitVerified polls until the entry records a verification newer than after.
func waitVerified(t *testing.T, svc *Service, id string, after int64) wire.CatalogModel {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := svc.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.LastVerifiedMs != nil && *m.LastVerifiedMs > after {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not verified", id)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestVerifyARealFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	body := []byte("GGUF model weights")
	sum := sha256.Sum256(body)
	path := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	good := "sha256:" + hex.EncodeToString(sum[:])
	cases := []struct {
		name, digest, source string
		verified             bool
		reason               string
	}{
		{name: "digest matches", digest: good, source: "file://" + path, verified: true, reason: ""},
		{name: "digest differs", digest: digestZero, source: "file://" + path, verified: false, reason: "digest mismatch: got " + good},
		{name: "file missing", digest: good, source: "file://" + filepath.Join(dir, "none"), verified: false, reason: "source not found"},
		{name: "not a file source", digest: good, source: "https://hf.co/org/m", verified: false, reason: "unsupported source scheme: https (only file:// can be verified locally)"},
	}
	f := newFixture(t, catalog.NewMemStore())
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			id := "m" + string(rune('a'+i))
			_, err := f.svc.Create(ctx, wire.CatalogModel{ID: id, Digest: tc.digest, SourceURL: tc.source})
			is.NoErr(err) // created
			started, err := f.svc.Verify(ctx, id)
			is.NoErr(err)                            // accepted
			is.Equal(started.Verified, (*bool)(nil)) // nothing recorded yet
			got := waitVerified(t, f.svc, id, 0)
			is.Equal(*got.Verified, tc.verified)             // result
			is.Equal(*got.LastVerifiedMs, f.now.UnixMilli()) // time
			is.Equal(got.VerifyReason, tc.reason)            // reason
		})
	}
}

func TestRestartKeepsEntriesAndTheirState(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	store, err := boltstore.Open(path)
	is.NoErr(err) // open
	f := newFixture(t, store)
	_, err = f.svc.Create(ctx, wire.CatalogModel{ID: "org/a", Digest: digestZero})
	is.NoErr(err) // created
	_, err = f.svc.Create(ctx, wire.CatalogModel{ID: "b", Digest: digestZero})
	is.NoErr(err) // created
	_, err = f.svc.SetState(ctx, "b", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(1000))})
	is.NoErr(err) // retired
	f.svc.Close()
	is.NoErr(store.Close()) // the daemon stops

	store, err = boltstore.Open(path)
	is.NoErr(err) // and starts again
	t.Cleanup(func() { _ = store.Close() })
	again := newFixture(t, store)
	list, err := again.svc.List(ctx)
	is.NoErr(err)                                                                                                              // list
	is.Equal(len(list), 2)                                                                                                     // both entries
	is.Equal(again.metrics.snapshot(), map[string]metrics.ModelState{"org/a": metrics.ModelActive, "b": metrics.ModelRetired}) // metrics from the store
	is.Equal(codeOf(again.gate.AdmitModel("b", false)), wire.CodePoolUnavailable)                                              // still retired
}
