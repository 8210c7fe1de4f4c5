package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestFirstLineWriter(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   string
	}{
		{"one write", []string{"listening on http://127.0.0.1:1\nmore\n"}, "listening on http://127.0.0.1:1"},
		{"split writes", []string{"listen", "ing on x\r", "\nnext line\n"}, "listening on x"},
		{"no newline but too long", []string{strings.Repeat("a", maxFirstLine)}, strings.Repeat("a", maxFirstLine)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			w := &firstLineWriter{line: make(chan string, 1)}
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				is.NoErr(err)       // writes never fail
				is.Equal(n, len(s)) // and take everything
			}
			is.Equal(<-w.line, tc.want) // the first line, without its ending
			_, _ = w.Write([]byte("later\n"))
			is.Equal(len(w.line), 0) // only one line is handed over
		})
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	is := is.New(t)
	tb := &tailBuffer{max: 8}
	_, _ = tb.Write([]byte("0123456789"))
	_, _ = tb.Write([]byte("ab\n"))
	is.Equal(tb.String(), "56789ab") // the last 8 bytes, trimmed
}

func testProcs(bin string, env []string) procs {
	return procs{bin: bin, env: env, startTimeout: 10 * time.Second, readyTimeout: 10 * time.Second}
}

func TestEngineChildStartsAndStops(t *testing.T) {
	is := is.New(t)
	p := testProcs(binDir(t, false), os.Environ())
	eng, err := p.startEngine(context.Background(), 0)
	is.NoErr(err)                                            // the engine starts
	is.True(strings.HasPrefix(eng.url, "http://127.0.0.1:")) // on loopback
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get(eng.url + "/health")
	is.NoErr(err) // it answers
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)         // healthy
	is.Equal(eng.stop(5*time.Second), false)         // SIGTERM is enough
	is.True(errors.Is(eng.exited(), ErrChildExited)) // and it is gone
	_, err = hc.Get(eng.url + "/health")
	is.True(err != nil) // nothing listens any more
}

func TestDaemonStartFailures(t *testing.T) {
	cases := []struct {
		name, role string
		timeout    time.Duration
		want       []string // in the error text
		sentinel   error
	}{
		{"exits at once", "exit", 10 * time.Second, []string{"exited before listening", "pools[0].engine"}, ErrChildExited},
		{"never listens", "silent", 300 * time.Millisecond, []string{`no "listening on" line within 300ms`}, context.DeadlineExceeded},
		{"wrong first line", "badline", 10 * time.Second, []string{`first line of output is "hello"`}, ErrBadFirstLine},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			p := testProcs(binDir(t, true), fakeEnv(tc.role))
			p.startTimeout = tc.timeout
			dir := t.TempDir()
			d, _, err := p.startDaemon(context.Background(), dir, daemonSpec{dataDir: dir, engineURL: "http://127.0.0.1:1", queueCapacity: 10, retention: time.Second})
			is.True(d == nil) // no daemon
			var se *StartError
			is.True(errors.As(err, &se)) // a start error
			for _, w := range tc.want {
				is.True(strings.Contains(err.Error(), w)) // it says why
			}
			is.True(errors.Is(err, tc.sentinel)) // and wraps the cause
		})
	}
}

func TestMissingBinaryIsAStartError(t *testing.T) {
	is := is.New(t)
	p := testProcs(t.TempDir(), os.Environ())
	_, err := p.startEngine(context.Background(), 0)
	var se *StartError
	is.True(errors.As(err, &se))                                       // a start error
	is.True(strings.Contains(err.Error(), filepath.Join("simengine"))) // naming the binary
}

func TestDaemonConfig(t *testing.T) {
	is := is.New(t)
	got := daemonConfig(daemonSpec{dataDir: "/tmp/x", engineURL: "http://127.0.0.1:9", queueCapacity: 500000, retention: 2 * time.Second})
	want := `data_dir: "/tmp/x"
queue: {capacity: 500000, policy: reject}
nodes: {heartbeat_interval_ms: 1000, timeout_ms: 3000}
events: {retention_ms: 2000}
shutdown: {grace_ms: 2000}
pools:
  - {pool_id: sim-0, engine: vllm, url: "http://127.0.0.1:9", models: [tiny], slots_total: 1024, ctx_max: 4096}
`
	is.Equal(got, want) // the documented keys of api.md §10
}

func TestChildEnvDropsOrchdVariables(t *testing.T) {
	is := is.New(t)
	got := childEnv([]string{"PATH=/bin", "ORCHD_API_TOKEN=s", "ORCHD_ADDR=0.0.0.0:1", "HOME=/root"})
	is.Equal(got, []string{"PATH=/bin", "HOME=/root"}) // the caller's daemon settings stay out
}

func TestAdmitCapacity(t *testing.T) {
	cases := []struct {
		name             string
		warmup, duration time.Duration
		repeat           int
		want             int
	}{
		{"default session", time.Second, 5 * time.Second, 2, admitQueue},
		{"long session", 0, time.Minute, 3, 180 * admitRate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(admitCapacity(tc.warmup, tc.duration, tc.repeat), tc.want) // room for every task
		})
	}
}
