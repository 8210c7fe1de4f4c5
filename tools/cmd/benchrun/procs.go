package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// The simulated engine and the pool orchestratord sees.
const (
	engineModel = "tiny"
	engineSlots = 1024
	engineCtx   = 4096
	maxTokens   = 64
	// streamQueue is the daemon's queue capacity in streaming scenarios:
	// far above any concurrency, so admission never rejects.
	streamQueue = 200000
	// admitQueue is the least queue capacity of the admission scenario, and
	// admitRate the rate it is sized for beyond that.
	admitQueue = 500000
	admitRate  = 30000
)

// ErrNotReady: orchestratord started but did not become ready in time.
var ErrNotReady = errors.New("orchestratord did not become ready")

// procs starts the children of a scenario.
type procs struct {
	bin string
	// env is the environment of every child.
	env          []string
	startTimeout time.Duration
	readyTimeout time.Duration
}

// childEnv is environ without the ORCHD_* variables, so that a token or an
// address of the caller's shell does not change what the daemon measures.
func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "ORCHD_") {
			out = append(out, kv)
		}
	}
	return out
}

// engineArgs is the simulated engine's command line.
func engineArgs(tokenDelay time.Duration) []string {
	return []string{"--addr", "127.0.0.1:0", "--model", engineModel, "--slots", strconv.Itoa(engineSlots),
		"--ctx", strconv.Itoa(engineCtx), "--flavor", "vllm", "--token-delay", tokenDelay.String()}
}

// startEngine starts bin/simengine.
func (p procs) startEngine(ctx context.Context, tokenDelay time.Duration) (*child, error) {
	return startChild(ctx, "simengine", filepath.Join(p.bin, "simengine"), engineArgs(tokenDelay), p.env, p.startTimeout)
}

// startRelay starts bin/relayproxy in front of the engine at engineURL.
func (p procs) startRelay(ctx context.Context, engineURL string) (*child, error) {
	return startChild(ctx, "relayproxy", filepath.Join(p.bin, "relayproxy"),
		[]string{"--addr", "127.0.0.1:0", "--target", engineURL, "--conns", strconv.Itoa(engineSlots)}, p.env, p.startTimeout)
}

// daemonSpec is what a scenario's orchestratord is configured with.
type daemonSpec struct {
	dataDir       string
	engineURL     string
	queueCapacity int
	retention     time.Duration
}

// daemonConfig renders the YAML config (api.md §10).
func daemonConfig(s daemonSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %q\n", s.dataDir)
	fmt.Fprintf(&b, "queue: {capacity: %d, policy: reject}\n", s.queueCapacity)
	b.WriteString("nodes: {heartbeat_interval_ms: 1000, timeout_ms: 3000}\n")
	fmt.Fprintf(&b, "events: {retention_ms: %d}\n", s.retention.Milliseconds())
	b.WriteString("shutdown: {grace_ms: 2000}\n")
	b.WriteString("pools:\n")
	fmt.Fprintf(&b, "  - {pool_id: sim-0, engine: vllm, url: %q, models: [%s], slots_total: %d, ctx_max: %d}\n",
		s.engineURL, engineModel, engineSlots, engineCtx)
	return b.String()
}

// startDaemon writes the config under dir, starts bin/orchestratord and
// waits for /readyz. It returns the config it used.
func (p procs) startDaemon(ctx context.Context, dir string, spec daemonSpec) (*child, string, error) {
	cfg := daemonConfig(spec)
	path := filepath.Join(dir, "orchestratord.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, cfg, fmt.Errorf("writing the daemon config: %w", err)
	}
	d, err := startChild(ctx, "orchestratord", filepath.Join(p.bin, "orchestratord"),
		[]string{"--addr", "127.0.0.1:0", "--config", path, "--log-level", "warn"}, p.env, p.startTimeout)
	if err != nil {
		return nil, cfg, err
	}
	if err := p.waitReady(ctx, d); err != nil {
		d.stop(time.Second)
		return nil, cfg, err
	}
	return d, cfg, nil
}

// waitReady polls GET /readyz until it answers 200.
func (p procs) waitReady(ctx context.Context, d *child) error {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(p.readyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		resp, err := get(ctx, hc, d.url+"/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if err := d.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w within %v: last /readyz: %s; its stderr ends with:\n%s", ErrNotReady, p.readyTimeout, last, indent(d.stderr.String()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func get(ctx context.Context, hc *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return hc.Do(req)
}

// waitStreaming sends one task at a time until one streams to its end: the
// daemon has probed its pool and dispatches. Bounded by readyTimeout.
func (p procs) waitStreaming(ctx context.Context, d *child) error {
	deadline := time.Now().Add(p.readyTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		rep, err := loadgen.Run(ctx, loadgen.Config{Target: loadgen.TargetOrchd, URL: d.url, Concurrency: 1,
			Requests: 1, Model: engineModel, MaxTokens: maxTokens, Timeout: 5 * time.Second})
		if err != nil {
			return err
		}
		if rep.Requests == 1 {
			return nil
		}
		if err := d.exited(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no task streamed to its end within %v: %s", ErrNotReady, p.readyTimeout, strings.Join(rep.ErrorSamples, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closedPort returns the URL of a loopback port nothing listens on.
func closedPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return "http://" + addr, nil
}

// admitCapacity is the queue capacity of the admission scenario: room for
// every task of its runs at admitRate.
func admitCapacity(warmup, duration time.Duration, repeat int) int {
	total := warmup + time.Duration(repeat)*duration
	return max(admitQueue, int(total.Seconds()*admitRate))
}
