package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
	"github.com/orchestratord/orchestratord/tools/nodeagent"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func noFile(name string) ([]byte, error) { return nil, os.ErrNotExist }

func TestParseConfig(t *testing.T) {
	is := is.New(t)
	files := map[string]string{"agent.yaml": `
orchestrator: http://file:8080
node_id: from-file
token: file-token
engines:
  - {pool_id: f1, engine: ollama, url: "http://127.0.0.1:11434"}
`}
	readFile := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}

	cfg, err := parseConfig([]string{"--config", "agent.yaml", "--node-id", "gpu-9", "--interval", "7s",
		"--engine", "pool_id=p1,engine=llamacpp,url=http://127.0.0.1:8081,models=m1;m2,slots=4,ctx=4096"},
		io.Discard, env(map[string]string{envToken: "env-token"}), readFile)
	is.NoErr(err)                                  // valid
	is.Equal(cfg.Orchestrator, "http://file:8080") // from the file
	is.Equal(cfg.NodeID, "gpu-9")                  // a set flag wins over the file
	is.Equal(cfg.Token, "file-token")              // the file's token wins over the environment
	is.Equal(cfg.Interval, 7*time.Second)          // interval override
	is.Equal(cfg.Listen, "127.0.0.1:0")            // the default listen address
	is.Equal(len(cfg.Engines), 2)                  // file and flag engines add up
	is.Equal(cfg.Engines[1], nodeagent.EngineSpec{PoolID: "p1", Engine: "llamacpp", URL: "http://127.0.0.1:8081",
		Models: []string{"m1", "m2"}, Slots: 4, Ctx: 4096}) // the flag engine

	cfg, err = parseConfig([]string{"--orchestrator", "http://o:1", "--node-id", "n", "--engine", "pool_id=p,engine=vllm,url=http://h:1"},
		io.Discard, env(map[string]string{envToken: "env-token"}), noFile)
	is.NoErr(err)                    // valid
	is.Equal(cfg.Token, "env-token") // the token from the environment

	_, err = parseConfig([]string{"--orchestrator", "http://o:1", "--node-id", "n"}, io.Discard, env(nil), noFile)
	is.True(errors.Is(err, nodeagent.ErrConfig)) // no engine

	_, err = parseConfig([]string{"--engine", "pool_id=p,bogus=1"}, io.Discard, env(nil), noFile)
	is.True(err != nil) // a bad engine flag

	_, err = parseConfig([]string{"-h"}, io.Discard, env(nil), noFile)
	is.True(errors.Is(err, flag.ErrHelp)) // help
}

// lines hands every write to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

func TestRunRegistersAndDeregistersOnSignal(t *testing.T) {
	is := is.New(t)
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"models":[{"name":"llama3:8b"}]}`))
	}))
	defer engine.Close()
	reg := nodeapi.NewRegistry(time.Minute)
	changed, unsubscribe := reg.Subscribe()
	defer unsubscribe()
	e := echo.New()
	echohttp.Register(e.Group("/v2"), reg)
	orch := httptest.NewServer(e)
	defer orch.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := make(lines, 4)
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--orchestrator", orch.URL, "--node-id", "gpu-1", "--interval", "1h",
			"--engine", "pool_id=p1,engine=ollama,url=" + engine.URL}, stdout, io.Discard, env(nil))
	}()

	first := <-stdout
	is.True(strings.HasPrefix(first, "listening on http://127.0.0.1:")) // the first line names the control API
	address := strings.TrimSpace(strings.TrimPrefix(first, "listening on "))
	select {
	case <-changed: // the registration
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not register")
	}
	n, ok := reg.Node("gpu-1")
	is.True(ok)                  // registered
	is.Equal(n.Address, address) // at the printed address

	cancel()                 // what SIGTERM does
	is.Equal(<-code, exitOK) // exits 0
	_, ok = reg.Node("gpu-1")
	is.True(!ok) // deregistered
}
