package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §6 and §7: the catalog and the artifacts survive a restart and a
// crash.

// killIterations is how many times the daemon is killed mid-write.
const killIterations = 50

// TestSIGKILLDuringWrites kills the daemon with SIGKILL at a random moment
// while writers create catalog entries, retire them and store artifacts,
// then starts it again on the same data dir. After every restart each write
// that was acknowledged (201/202) is there as acknowledged, every entry or
// artifact whose write was cut off is absent or whole, and the daemon starts
// cleanly. Set ORCHD_DURABILITY_SEED to replay a run.
func TestSIGKILLDuringWrites(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("ORCHD_DURABILITY_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (ORCHD_DURABILITY_SEED=%d replays the kill points)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	cfg := daemonConfig(t, t.TempDir())
	l := newLedger()
	began := time.Now()
	for iter := range killIterations {
		o := startDaemon(t, cfg) // fails the test unless it starts cleanly
		l.checkCatalog(t, o)
		if iter > 0 {
			l.checkArtifacts(t, o, iter-1)
		}
		if t.Failed() {
			t.Fatalf("iteration %d (seed %d): writes lost or broken after the kill", iter, seed)
		}
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() { l.writeModels(o.URL, iter, w) })
			wg.Go(func() { l.writeArtifacts(o.URL, iter, w) })
		}
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond) // the random kill point, not a wait for state
		if err := o.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		if _, exited := o.Exited(10 * time.Second); !exited {
			t.Fatalf("iteration %d: the daemon survived SIGKILL", iter)
		}
		wg.Wait()
	}
	o := startDaemon(t, cfg)
	l.checkCatalog(t, o)
	l.checkArtifacts(t, o, -1)
	l.mu.Lock()
	acked, models, artifacts := l.acked, len(l.models), len(l.artifacts)
	l.mu.Unlock()
	t.Logf("%d kills in %v: %d writes acknowledged, %d catalog entries and %d artifacts tried",
		killIterations, time.Since(began).Round(time.Millisecond), acked, models, artifacts)
	is := is.New(t)
	is.True(acked > killIterations) // the writers got writes in before the kills
}

// TestRestartKeepsCatalogAndArtifacts stops the daemon gracefully and starts
// it again: catalog entries with their state and verification, artifacts and
// task transcripts are all still there.
func TestRestartKeepsCatalogAndArtifacts(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	cfg := daemonConfig(t, dir)
	o := startDaemon(t, cfg)
	source, digest := modelFile(t, dir, "m.gguf", []byte("weights"))
	createModel(t, o, wire.CatalogModel{ID: "org/verified", Digest: digest, SourceURL: source})
	verified := verifyModel(t, o, "org/verified")
	createModel(t, o, wire.CatalogModel{ID: "retired", Digest: digestOf("r")})
	retired := setModelState(t, o, "retired", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(1000))})
	art := decode[wire.ArtifactCreated](t, mustCreate(t, o, `{"kind":"plan","content":{"steps":["a","b"]},"metadata":{"k":1}}`))
	_, before := call(t, "GET", o.URL+"/v2/artifacts/"+art.ID, nil)
	o.Stop(t)
	err, _ := o.Exited(0)
	is.NoErr(err) // a clean exit

	o = startDaemon(t, cfg)
	is.Equal(getModel(t, o, "org/verified"), verified) // entry and its verification kept
	is.Equal(getModel(t, o, "retired"), retired)       // the retirement and its deadline kept
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", `{"workload":"completion","model_ref":"retired","prompt":"p"}`)
	is.Equal(resp.StatusCode, 503)                                              // still admits nothing
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodePoolUnavailable) // POOL_UNAVAILABLE
	resp, after := call(t, "GET", o.URL+"/v2/artifacts/"+art.ID, nil)
	is.Equal(resp.StatusCode, 200)          // the artifact is there
	is.Equal(string(after), string(before)) // byte for byte
}
