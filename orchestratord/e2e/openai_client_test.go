package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"
)

// clientDir holds the official-client test: package.json and
// package-lock.json (openai pinned exactly) and the node:test script.
var clientDir = filepath.Join("..", "..", "tools", "openai-e2e")

const clientScript = "openai.test.mjs"

// TestOfficialOpenAIClient runs tools/openai-e2e with the official openai
// npm client against a real daemon: streamed and non-streamed chat and
// completions, a 429 surfaced as RateLimitError, and an abort through
// AbortController that cancels the task and closes the engine request
// within 200 ms (the script polls the simulated engine's /_sim/stats).
func TestOfficialOpenAIClient(t *testing.T) {
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		t.Skip("node and npm are needed for the official openai client test (install Node.js 20+ with npm)")
	}
	modules := installClient(t, npm)
	// The script runs from a directory of its own whose node_modules is the
	// cached install.
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(clientDir, clientScript))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, clientScript), script, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}

	sim := startSim(t, "--slots", "1", "--token-delay", "5ms")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\nqueue: {capacity: 1}\nshutdown: {grace_ms: 200}\n",
		[]poolCfg{{ID: "sim-0", Engine: "llamacpp", URL: sim.URL, Models: []string{"tiny"}, Slots: 1, CtxMax: 4096}})
	waitPoolsReady(t, o, "sim-0")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", clientScript)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ORCHD_URL="+o.URL, "ORCHD_MODEL=tiny", "ORCHD_SIM_URL="+sim.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s\ndaemon log:\n%s", clientScript, err, out, o.Logs())
	}
	is := is.New(t)
	is.True(simStats(t, sim).ClientClosed >= 1) // the aborted stream closed the engine request
}

// installClient installs the pinned client with `npm ci` once per
// package-lock.json into the user's cache directory and returns its
// node_modules. Installing into a fresh directory that is renamed into
// place keeps concurrent runs from seeing a half-done install.
func installClient(t *testing.T, npm string) string {
	t.Helper()
	pkg, err := os.ReadFile(filepath.Join(clientDir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(clientDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write(pkg)
	h.Write(lock)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	parent := filepath.Join(cache, "orchestratord")
	final := filepath.Join(parent, "openai-e2e-"+hex.EncodeToString(h.Sum(nil)[:8]))
	modules := filepath.Join(final, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "openai", "package.json")); err == nil {
		return modules
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(parent, "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s (a copy of %s): %v\n%s", tmp, clientDir, err, out)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another run may have put its install in place first.
		if _, statErr := os.Stat(filepath.Join(modules, "openai", "package.json")); statErr != nil {
			t.Fatalf("install the client into %s: %v", final, err)
		}
	}
	return modules
}
