package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func envOf(m map[string]string) Env { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "orchd.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	is := is.New(t)
	cfg, err := Load(nil, envOf(nil), io.Discard)
	is.NoErr(err)                                       // defaults validate
	is.Equal(cfg.Addr, "127.0.0.1:8080")                // default addr
	is.Equal(cfg.Queue.Capacity, 1024)                  // default capacity
	is.Equal(cfg.Dispatch.TokenTimeoutMs, int64(60000)) // default token timeout
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	is := is.New(t)
	path := writeFile(t, "addr: 127.0.0.1:7000\ndata_dir: /from/file\nqueue: {capacity: 8, policy: drop-lru}\n")
	env := envOf(map[string]string{"ORCHD_CONFIG": path, "ORCHD_DATA_DIR": "/from/env", "ORCHD_ADDR": "127.0.0.1:7001"})
	cfg, err := Load([]string{"--addr", "127.0.0.1:7002"}, env, io.Discard)
	is.NoErr(err)                          // valid
	is.Equal(cfg.Addr, "127.0.0.1:7002")   // flag wins
	is.Equal(cfg.DataDir, "/from/env")     // env beats file
	is.Equal(cfg.Queue.Capacity, 8)        // file beats default
	is.Equal(cfg.Queue.Policy, "drop-lru") // file value
}

func TestStaticPoolsFromFile(t *testing.T) {
	is := is.New(t)
	path := writeFile(t, `pools:
  - {pool_id: local-0, engine: llamacpp, url: "http://127.0.0.1:8081", models: [llama-3-8b], slots_total: 4, ctx_max: 8192}
`)
	cfg, err := Load([]string{"--config", path}, envOf(nil), io.Discard)
	is.NoErr(err)                                  // valid pools
	is.Equal(len(cfg.Pools), 1)                    // one pool
	is.Equal(cfg.Pools[0].SlotsTotal, 4)           // slots parsed
	is.Equal(cfg.Pools[0].Models[0], "llama-3-8b") // models parsed
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	cases := []struct {
		name, file string
		args       []string
		env        map[string]string
		key        string
	}{
		{name: "unknown key", file: "queue: {capacity: 3, size: 2}\n", key: "size"},
		{name: "wrong type", file: "queue:\n  capacity: lots\n", key: "queue.capacity"},
		{name: "bad policy", file: "queue: {policy: fifo}\n", key: "queue.policy"},
		{name: "bad strategy", file: "placement: {strategy: best}\n", key: "placement.strategy"},
		{name: "zero capacity", file: "queue:\n  capacity: 0\n", key: "queue.capacity"},
		{name: "timeout below interval", file: "nodes: {heartbeat_interval_ms: 5000, timeout_ms: 10}\n", key: "nodes.timeout_ms"},
		{name: "pool engine", file: "pools:\n  - {pool_id: p, engine: gpt, url: 'http://127.0.0.1:1', models: [m], slots_total: 1}\n", key: "pools[0].engine"},
		{name: "pool url", file: "pools:\n  - {pool_id: p, engine: vllm, url: 'nope', models: [m], slots_total: 1}\n", key: "pools[0].url"},
		{name: "pool slots", file: "pools:\n  - {pool_id: p, engine: vllm, url: 'http://h:1', models: [m], slots_total: 0}\n", key: "pools[0].slots_total"},
		{name: "duplicate pool", file: "pools:\n  - {pool_id: p, engine: vllm, url: 'http://h:1', models: [m], slots_total: 1}\n  - {pool_id: p, engine: vllm, url: 'http://h:2', models: [m], slots_total: 1}\n", key: "pools[1].pool_id"},
		{name: "bad env bool", env: map[string]string{"ORCHD_METRICS_AUTH": "maybe"}, key: "ORCHD_METRICS_AUTH"},
		{name: "public bind without token", args: []string{"--addr", "0.0.0.0:8080"}, key: "ORCHD_API_TOKEN"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, key: "log_level"},
		{name: "relative catalog file root", file: "catalog: {file_root: models}\n", key: "catalog.file_root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.file != "" {
				env["ORCHD_CONFIG"] = writeFile(t, tc.file)
			}
			_, err := Load(tc.args, envOf(env), io.Discard)
			is.True(err != nil)                            // rejected
			is.True(strings.Contains(err.Error(), tc.key)) // names the key
		})
	}
}

func TestPublicBindAllowedWithTokenOrOverride(t *testing.T) {
	is := is.New(t)
	_, err := Load([]string{"--addr", "0.0.0.0:8080"}, envOf(map[string]string{"ORCHD_API_TOKEN": "s3cret"}), io.Discard)
	is.NoErr(err) // token configured
	_, err = Load([]string{"--addr", "0.0.0.0:8080", "--insecure-no-auth"}, envOf(nil), io.Discard)
	is.NoErr(err) // explicit override
}
