package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Helpers of the durability tests: a daemon started on a fixed data dir,
// writers that run until the daemon dies, and a ledger of what was
// acknowledged.

// daemonConfig writes a config that keeps its data under dir and returns
// its path; every start with it sees the same stores.
func daemonConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "orchd.yaml")
	body := "data_dir: " + filepath.Join(dir, "data") + "\nlog_level: warn\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startDaemon starts the binary directly; start fails the test unless it
// comes up listening.
func startDaemon(t *testing.T, cfg string) *proc {
	t.Helper()
	return start(t, bins.orchd, nil, "--addr", "127.0.0.1:0", "--config", cfg)
}

// writeClient gives up quickly: a killed daemon answers nothing.
var writeClient = &http.Client{Timeout: 5 * time.Second}

// post sends a JSON body and returns the status and body, or the transport
// error of a daemon that went away. It is safe to call from any goroutine.
func post(url, body string) (int, []byte, error) {
	resp, err := writeClient.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// modelWrite is what happened to one catalog entry the writers tried.
type modelWrite struct {
	sent        wire.CatalogModel
	created     *wire.CatalogModel // the 201 body; nil unless acknowledged
	retireTried bool
	retired     *wire.CatalogModel // the 202 body of the retirement; nil unless acknowledged
}

// artifactWrite is what happened to one artifact the writers tried.
type artifactWrite struct {
	iter    int    // the kill iteration it was written in
	id      string // computed before sending: the SHA-256 of the canonical JSON
	content string
	created *wire.ArtifactCreated // the 201 body; nil unless acknowledged
}

// ledger records every write attempted and every acknowledgement.
type ledger struct {
	mu        sync.Mutex
	models    map[string]*modelWrite
	artifacts map[string]*artifactWrite
	acked     int
}

func newLedger() *ledger {
	return &ledger{models: map[string]*modelWrite{}, artifacts: map[string]*artifactWrite{}}
}

// writeModels creates catalog entries (retiring every other one) until a
// request fails; w and iter make the ids unique.
func (l *ledger) writeModels(base string, iter, w int) {
	for i := 0; ; i++ {
		m := wire.CatalogModel{
			ID: fmt.Sprintf("dur/i%03d-w%d-%04d", iter, w, i), Digest: digestOf(fmt.Sprint(iter, w, i)),
			SourceURL: "hf.co/org/m", Tags: []string{"durability", fmt.Sprint(i)},
			Manifests: []wire.Manifest{{Digest: digestOf(fmt.Sprint("layer", i)), SizeBytes: int64(i)}},
		}
		rec := &modelWrite{sent: m}
		l.mu.Lock()
		l.models[m.ID] = rec
		l.mu.Unlock()
		body, _ := json.Marshal(m)
		status, raw, err := post(base+"/v2/catalog/models", string(body))
		if err != nil || status != http.StatusCreated {
			return
		}
		var created wire.CatalogModel
		if json.Unmarshal(raw, &created) != nil {
			return
		}
		l.mu.Lock()
		rec.created = &created
		rec.retireTried = i%2 == 1
		l.acked++
		l.mu.Unlock()
		if i%2 == 0 {
			continue
		}
		status, raw, err = post(base+"/v2/catalog/models/"+strings.ReplaceAll(m.ID, "/", "%2F")+"/state", `{"state":"Retired","deadline_ms":60000}`)
		if err != nil || status != http.StatusAccepted {
			return
		}
		var retired wire.CatalogModel
		if json.Unmarshal(raw, &retired) != nil {
			return
		}
		l.mu.Lock()
		rec.retired = &retired
		l.acked++
		l.mu.Unlock()
	}
}

// writeArtifacts stores artifacts of a few KB until a request fails.
func (l *ledger) writeArtifacts(base string, iter, w int) {
	for i := 0; ; i++ {
		content := fmt.Sprintf(`{"i":%d,"iter":%d,"pad":%q,"w":%d}`, i, iter, strings.Repeat("x", 512+(i*977)%4096), w)
		sum := sha256.Sum256([]byte(`{"content":` + content + `,"kind":"logs"}`))
		rec := &artifactWrite{iter: iter, id: hex.EncodeToString(sum[:]), content: content}
		l.mu.Lock()
		l.artifacts[rec.id] = rec
		l.mu.Unlock()
		status, raw, err := post(base+"/v2/artifacts", `{"kind":"logs","content":`+content+`,"tags":["durability"]}`)
		if err != nil || status != http.StatusCreated {
			return
		}
		var created wire.ArtifactCreated
		if json.Unmarshal(raw, &created) != nil {
			return
		}
		l.mu.Lock()
		rec.created = &created
		l.acked++
		l.mu.Unlock()
	}
}

// checkCatalog compares the daemon's whole catalog with the ledger: every
// acknowledged write is there as acknowledged, and every entry listed is one
// that was tried, whole.
func (l *ledger) checkCatalog(t *testing.T, o *proc) {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/v2/catalog/models", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, raw)
	}
	listed := map[string]wire.CatalogModel{}
	for _, m := range decode[[]wire.CatalogModel](t, raw) {
		listed[m.ID] = m
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, got := range listed {
		rec, ok := l.models[id]
		switch {
		case !ok:
			t.Errorf("catalog lists %s, which nobody wrote", id)
		case got.Digest != rec.sent.Digest || got.SourceURL != rec.sent.SourceURL ||
			!equalJSON(got.Tags, rec.sent.Tags) || !equalJSON(got.Manifests, rec.sent.Manifests):
			t.Errorf("%s is not what was written: %+v", id, got)
		case got.State == wire.ModelRetired && !rec.retireTried:
			t.Errorf("%s is Retired but was never retired", id)
		}
	}
	for id, rec := range l.models {
		got, ok := listed[id]
		switch {
		case rec.created == nil:
		case !ok:
			t.Errorf("acknowledged entry %s is lost", id)
		case rec.retired != nil && !equalJSON(got, *rec.retired):
			t.Errorf("acknowledged retirement of %s is lost: %+v, want %+v", id, got, *rec.retired)
		case rec.retired == nil && got.CreatedMs != rec.created.CreatedMs:
			t.Errorf("%s changed: %+v, want %+v", id, got, *rec.created)
		}
	}
}

// checkArtifacts reads back every artifact tried in iteration iter (every
// one when iter < 0): an acknowledged one is there and intact; one whose
// write was cut off is absent or intact, never broken.
func (l *ledger) checkArtifacts(t *testing.T, o *proc, iter int) {
	t.Helper()
	l.mu.Lock()
	recs := make([]*artifactWrite, 0, len(l.artifacts))
	for _, r := range l.artifacts {
		if iter < 0 || r.iter == iter {
			recs = append(recs, r)
		}
	}
	l.mu.Unlock()
	for _, rec := range recs {
		resp, raw := call(t, "GET", o.URL+"/v2/artifacts/"+rec.id, nil)
		switch {
		case resp.StatusCode == 404 && rec.created == nil:
		case resp.StatusCode != 200:
			t.Errorf("artifact %s (acknowledged %v): %d %s", rec.id, rec.created != nil, resp.StatusCode, raw)
		default:
			a := decode[wire.Artifact](t, raw)
			if !equalJSON(a.Content, json.RawMessage(rec.content)) || a.ID != rec.id {
				t.Errorf("artifact %s is not what was written", rec.id)
			}
			if rec.created != nil && a.CreatedMs != rec.created.CreatedMs {
				t.Errorf("artifact %s: created_ms %d, acknowledged %d", rec.id, a.CreatedMs, rec.created.CreatedMs)
			}
		}
	}
}

// equalJSON compares two values by their JSON encoding.
func equalJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	if json.Unmarshal(ja, &va) != nil || json.Unmarshal(jb, &vb) != nil {
		return false
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return bytes.Equal(ca, cb)
}
