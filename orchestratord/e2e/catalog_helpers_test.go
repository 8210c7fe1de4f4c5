package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Helpers of the catalog and durability tests.

// modelURL is the catalog route of a model id, percent-encoded (api.md §2).
func modelURL(o *proc, id string, suffix string) string {
	return o.URL + "/v2/catalog/models/" + url.PathEscape(id) + suffix
}

// createModel registers a model and expects 201.
func createModel(t *testing.T, o *proc, m wire.CatalogModel) wire.CatalogModel {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/catalog/models", m)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create model %s: %d %s", m.ID, resp.StatusCode, raw)
	}
	return decode[wire.CatalogModel](t, raw)
}

// getModel reads a model and expects 200.
func getModel(t *testing.T, o *proc, id string) wire.CatalogModel {
	t.Helper()
	resp, raw := call(t, "GET", modelURL(o, id, ""), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get model %s: %d %s", id, resp.StatusCode, raw)
	}
	return decode[wire.CatalogModel](t, raw)
}

// setModelState posts a state change and expects 202.
func setModelState(t *testing.T, o *proc, id string, req wire.ModelStateRequest) wire.CatalogModel {
	t.Helper()
	resp, raw := call(t, "POST", modelURL(o, id, "/state"), req)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("state of %s: %d %s", id, resp.StatusCode, raw)
	}
	return decode[wire.CatalogModel](t, raw)
}

// verifyModel asks for a verification and waits until it is recorded.
func verifyModel(t *testing.T, o *proc, id string) wire.CatalogModel {
	t.Helper()
	resp, raw := call(t, "POST", modelURL(o, id, "/verify"), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("verify %s: %d %s", id, resp.StatusCode, raw)
	}
	var m wire.CatalogModel
	waitFor(t, 10*time.Second, "verification of "+id, func() bool {
		m = getModel(t, o, id)
		return m.LastVerifiedMs != nil
	})
	return m
}

// modelFile writes a model file under dir and returns its file:// URL and
// its digest.
func modelFile(t *testing.T, dir, name string, body []byte) (source, digest string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	return "file://" + path, "sha256:" + hex.EncodeToString(sum[:])
}

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
