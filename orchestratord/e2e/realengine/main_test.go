//go:build realengine

package realengine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Pool ids the node agent registers: the same Ollama twice over.
const (
	nativePool = "ollama-native" // engine "ollama", /api/generate
	openaiPool = "ollama-openai" // engine "openai", /v1/completions
	modelName  = "tiny"          // as imported with `ollama create`
	modelTag   = "tiny:latest"   // as Ollama lists it (/api/tags, /v1/models)
	nodeID     = "e2e-ollama"    // the node agent's node
)

// cluster is the environment every test shares: Ollama, orchestratord and
// a node agent. Tests run one after another and leave it idle.
type cluster struct {
	ollama *ollamaServer
	orchd  *proc
	agent  *proc
}

// env is set up once by TestMain for the whole package.
var env *cluster

func TestMain(m *testing.M) {
	c, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "realengine:", err)
		os.Exit(1)
	}
	env = c
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- ollama log (tail)\n%s\n--- orchestratord log (tail)\n%s\n--- node agent log (tail)\n%s\n",
			c.ollama.proc.Logs(6000), c.orchd.Logs(6000), c.agent.Logs(3000))
	}
	c.teardown()
	os.Exit(code)
}

func setup() (*cluster, error) {
	ollamaBin, model, bin := os.Getenv("ORCHD_E2E_OLLAMA"), os.Getenv("ORCHD_E2E_MODEL"), os.Getenv("ORCHD_E2E_BIN")
	if ollamaBin == "" || model == "" || bin == "" {
		return nil, errors.New("set ORCHD_E2E_OLLAMA, ORCHD_E2E_MODEL and ORCHD_E2E_BIN (make e2e does)")
	}
	dir, err := os.MkdirTemp("", "orchd-realengine-")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"models", "home", "model", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	gguf, err := os.ReadFile(model)
	if err != nil {
		return nil, err
	}
	local := filepath.Join(dir, "model", filepath.Base(model))
	if err := os.WriteFile(local, gguf, 0o644); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	c := &cluster{ollama: &ollamaServer{bin: ollamaBin, addr: addr, models: filepath.Join(dir, "models"), home: filepath.Join(dir, "home")}}
	if err := c.ollama.start(); err != nil {
		return nil, err
	}
	fail := func(err error) (*cluster, error) {
		c.teardown()
		return nil, err
	}
	if err := c.ollama.create(modelName, local); err != nil {
		return fail(err)
	}
	cfg := filepath.Join(dir, "orchd.yaml")
	yaml := "nodes: {heartbeat_interval_ms: 200, timeout_ms: 1000}\ndata_dir: " + filepath.Join(dir, "data") + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return fail(err)
	}
	if c.orchd, err = startProc("orchestratord", filepath.Join(bin, "orchestratord"), nil, true,
		"--addr", "127.0.0.1:0", "--config", cfg, "--log-level", "info"); err != nil {
		return fail(err)
	}
	engines := []string{
		"pool_id=" + nativePool + ",engine=ollama,url=" + c.ollama.URL() + ",models=" + modelName + ";" + modelTag + ",slots=2,ctx=256",
		"pool_id=" + openaiPool + ",engine=openai,url=" + c.ollama.URL() + ",models=" + modelTag + ",slots=2,ctx=256",
	}
	if c.agent, err = startProc("node-agent", filepath.Join(bin, "node-agent"), nil, true,
		"--orchestrator", c.orchd.URL, "--node-id", nodeID, "--machine-id", "e2e", "--listen", "127.0.0.1:0",
		"--interval", "200ms", "--engine", engines[0], "--engine", engines[1]); err != nil {
		return fail(err)
	}
	if err := c.waitPools(30*time.Second, func(p wire.Pool) bool { return p.Ready }); err != nil {
		return fail(fmt.Errorf("%w\n--- node agent log\n%s\n--- orchestratord log\n%s", err, c.agent.Logs(3000), c.orchd.Logs(3000)))
	}
	return c, nil
}

func (c *cluster) teardown() {
	for _, p := range []*proc{c.agent, c.orchd, c.ollama.proc} {
		if p != nil {
			p.stop()
		}
	}
}

// pools returns the pools of the agent's node (GET /v2/nodes/{id}) by id.
func (c *cluster) pools() (map[string]wire.Pool, error) {
	resp, err := http.Get(c.orchd.URL + "/v2/nodes/" + nodeID)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var node wire.Node
	if err := json.Unmarshal(raw, &node); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /v2/nodes/%s: %d %s", nodeID, resp.StatusCode, raw)
	}
	out := map[string]wire.Pool{}
	for _, p := range node.Pools {
		out[p.PoolID] = p
	}
	return out, nil
}

// waitPools polls until both pools satisfy cond.
func (c *cluster) waitPools(d time.Duration, cond func(wire.Pool) bool) error {
	deadline := time.Now().Add(d)
	var last map[string]wire.Pool
	for time.Now().Before(deadline) {
		pools, err := c.pools()
		if err == nil {
			last = pools
			n, o := pools[nativePool], pools[openaiPool]
			if n.PoolID != "" && o.PoolID != "" && cond(n) && cond(o) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pools not as expected after %v: %+v", d, last)
}
