package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakeRoleEnv makes the test binary play orchestratord: "serve" answers the
// task API with short streams, "exit" fails at once, "silent" never says it
// listens. The tests link it as <bin>/orchestratord.
const fakeRoleEnv = "BENCHRUN_TEST_FAKE_DAEMON"

// fakeTokens is how many tokens the fake daemon streams per task.
const fakeTokens = 8

// testBins are the binaries every test shares, built once.
type testBins struct {
	dir        string // holds simengine and relayproxy
	simengine  string
	relayproxy string
	self       string // this test binary
}

// bins is set by TestMain before any test runs and never changed after.
var bins testBins

func TestMain(m *testing.M) {
	if role := os.Getenv(fakeRoleEnv); role != "" {
		os.Exit(fakeDaemon(role, os.Args[1:]))
	}
	code, err := setupAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setupAndRun(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "benchrun-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	bins = testBins{dir: dir, simengine: filepath.Join(dir, "simengine"), relayproxy: filepath.Join(dir, "relayproxy"), self: self}
	for out, pkg := range map[string]string{bins.simengine: "../simengine", bins.relayproxy: "../relayproxy"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return 0, fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	return goleakRun(m), nil
}

// goleakRun runs the tests and checks for leaked goroutines like
// goleak.VerifyTestMain, but returns the code instead of exiting, so the
// temporary directory is removed.
func goleakRun(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// binDir makes a bin directory with the simulated engine, the relay proxy
// and, when withDaemon is set, the fake daemon as orchestratord.
func binDir(t *testing.T, withDaemon bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []string{bins.simengine, bins.relayproxy} {
		if err := os.Symlink(b, filepath.Join(dir, filepath.Base(b))); err != nil {
			t.Fatal(err)
		}
	}
	if withDaemon {
		if err := os.Symlink(bins.self, filepath.Join(dir, "orchestratord")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeEnv is the environment that gives the fake daemon its role.
func fakeEnv(role string) []string { return append(os.Environ(), fakeRoleEnv+"="+role) }

// fakeDaemon is the test binary running as orchestratord.
func fakeDaemon(role string, args []string) int {
	switch role {
	case "exit":
		fmt.Fprintln(os.Stderr, `orchestratord: config: pools[0].engine: want llamacpp|vllm, got "x"`)
		return 2
	case "badline":
		fmt.Println("hello")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if role != "serve" {
		<-ctx.Done()
		return 0
	}
	fs := flag.NewFlagSet("orchestratord", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	config := fs.String("config", "", "")
	fs.String("log-level", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := os.Stat(*config); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: fakeAPI(), ReadHeaderTimeout: time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return 1
	}
	return 0
}

// fakeAPI is the part of the task API loadgen uses.
func fakeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":"ready"}`))
	})
	mux.HandleFunc("POST /v2/tasks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"task_id":"t1","state":"queued","streams":{"sse":"/v2/tasks/t1/events"}}`))
	})
	mux.HandleFunc("GET /v2/tasks/{id}/events", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range fakeTokens {
			fmt.Fprintf(w, "id: %d\nevent: token\ndata: {\"t\":\" w\",\"i\":%d}\n\n", i+1, i)
		}
		fmt.Fprintf(w, "id: %d\nevent: end\ndata: {\"finish_reason\":\"length\",\"tokens_out\":%d}\n\n", fakeTokens+1, fakeTokens)
	})
	return mux
}
