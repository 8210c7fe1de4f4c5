package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end suite starts the real binaries: orchestratord and the
// simulated engine, built once for the package.
var bins struct{ orchd, sim, agent string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orchd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.orchd = filepath.Join(dir, "orchestratord")
	bins.sim = filepath.Join(dir, "simengine")
	bins.agent = filepath.Join(dir, "node-agent")
	args := []string{"build", "-ldflags", e2eLDFlags, "-o", bins.orchd}
	if raceBuild {
		args = append(args, "-race")
	}
	if err := goBuild("..", append(args, "./cmd/orchestratord")...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := goBuild("../../tools", "build", "-o", bins.sim, "./cmd/simengine"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := goBuild("../../tools", "build", "-o", bins.agent, "./cmd/node-agent"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goBuild(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

// proc is a started binary.
type proc struct {
	cmd  *exec.Cmd
	URL  string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.Write(b)
}

// Logs returns what the process wrote to stderr so far.
func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// start runs bin with args and waits for its "listening on <url>" line.
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
		}
	}()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.Stop(t) })
	select {
	case p.URL = <-urls:
	case <-p.done:
		t.Fatalf("%s exited before listening: %v\n%s", filepath.Base(bin), p.err, p.Logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not start:\n%s", filepath.Base(bin), p.Logs())
	}
	return p
}

// Stop sends SIGTERM and waits; SIGKILL after 10 s.
func (p *proc) Stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s ignored SIGTERM for 10 s", filepath.Base(p.cmd.Path))
	}
}

// Exited waits up to d for the process to exit and returns its error.
func (p *proc) Exited(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// startSim starts a simulated engine.
func startSim(t *testing.T, args ...string) *proc {
	t.Helper()
	return start(t, bins.sim, nil, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
}

// poolCfg is one static pool of the daemon's config.
type poolCfg struct {
	ID, Engine, URL string
	Models          []string
	Slots, CtxMax   int
}

// startOrchd starts the daemon with the given YAML (pools appended) and env.
func startOrchd(t *testing.T, yaml string, pools []poolCfg, env ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(yaml)
	b.WriteString("\ndata_dir: " + filepath.Join(dir, "data") + "\n")
	if len(pools) > 0 {
		b.WriteString("pools:\n")
		for _, p := range pools {
			models, _ := json.Marshal(p.Models)
			fmt.Fprintf(&b, "  - {pool_id: %s, engine: %s, url: %q, models: %s, slots_total: %d, ctx_max: %d}\n",
				p.ID, p.Engine, p.URL, models, p.Slots, p.CtxMax)
		}
	}
	cfg := filepath.Join(dir, "orchd.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, bins.orchd, env, "--addr", "127.0.0.1:0", "--config", cfg, "--log-level", "debug")
	token := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "ORCHD_API_TOKEN="); ok {
			token = v
		}
	}
	waitFor(t, 10*time.Second, "ready", func() bool {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/readyz", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

// waitPoolsReady waits until the daemon has seen each pool ready (its
// probe log line).
func waitPoolsReady(t *testing.T, o *proc, ids ...string) {
	t.Helper()
	waitFor(t, 10*time.Second, "pools ready", func() bool {
		logs := o.Logs()
		for _, id := range ids {
			if !strings.Contains(logs, `"pool_id":"`+id+`","ready":true`) {
				return false
			}
		}
		return true
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call does one HTTP request with a JSON body (nil for none).
func call(t *testing.T, method, url string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, req, resp, raw)
	return resp, raw
}

// frame is one parsed SSE frame.
type frame struct {
	ID    uint64
	Event string
	Data  json.RawMessage
}

// sse reads a task's event stream until it ends (or ctx is done).
func sse(ctx context.Context, url string, headers ...string) ([]frame, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return readFrames(resp.Body, nil)
}

// readFrames parses SSE frames; onFrame (optional) sees each as it arrives.
func readFrames(r io.Reader, onFrame func(frame)) ([]frame, error) {
	var out []frame
	var cur frame
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if cur.Event != "" {
				out = append(out, cur)
				if onFrame != nil {
					onFrame(cur)
				}
				cur = frame{}
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			fmt.Sscan(line[4:], &cur.ID)
		case strings.HasPrefix(line, "event: "):
			cur.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Data = json.RawMessage(line[6:])
		}
	}
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// simStatsBody is the simulated engine's GET /_sim/stats.
type simStatsBody struct {
	Active       int    `json:"active"`
	Started      uint64 `json:"started"`
	Completed    uint64 `json:"completed"`
	ClientClosed uint64 `json:"client_closed"`
	Failed       uint64 `json:"failed"`
}

func simStats(t *testing.T, sim *proc) simStatsBody {
	t.Helper()
	resp, err := http.Get(sim.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st simStatsBody
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// simFaults sets faults on a running simulated engine.
func simFaults(t *testing.T, sim *proc, faults string) {
	t.Helper()
	resp, err := http.Post(sim.URL+"/_sim/faults", "application/json", strings.NewReader(faults))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("set faults: %d", resp.StatusCode)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func decodeBody(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func fetchSimStats(sim *proc) (simStatsBody, error) {
	resp, err := http.Get(sim.URL + "/_sim/stats")
	if err != nil {
		return simStatsBody{}, err
	}
	var st simStatsBody
	err = decodeBody(resp, &st)
	return st, err
}
