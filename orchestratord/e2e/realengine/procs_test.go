//go:build realengine

package realengine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a started process; its process group is killed on stop, so that
// Ollama's runner children go with it.
type proc struct {
	name string
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

// Logs returns the last n bytes the process wrote.
func (p *proc) Logs(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.logs.Bytes()
	return string(b[max(0, len(b)-n):])
}

// startProc starts bin in its own process group; with listening set it
// waits for the "listening on <url>" line on stdout.
func startProc(name, bin string, env []string, listening bool, args ...string) (*proc, error) {
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.cmd.Stderr = p
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				select {
				case urls <- strings.TrimSpace(u):
				default:
				}
			}
			_, _ = p.Write([]byte(line + "\n"))
		}
	}()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	if !listening {
		return p, nil
	}
	select {
	case p.URL = <-urls:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", name, p.err, p.Logs(4096))
	case <-time.After(30 * time.Second):
		p.kill()
		return nil, fmt.Errorf("%s did not start:\n%s", name, p.Logs(4096))
	}
}

// kill SIGKILLs the process group and waits for the process.
func (p *proc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM, then kills the group after 10 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// ollamaServer runs `ollama serve` on a fixed address, so that it can be
// killed and started again where the node agent looks for it.
type ollamaServer struct {
	bin, addr, models, home string
	proc                    *proc
}

func (o *ollamaServer) env() []string {
	return []string{"OLLAMA_HOST=" + o.addr, "OLLAMA_MODELS=" + o.models, "HOME=" + o.home,
		"OLLAMA_KEEP_ALIVE=-1", "OLLAMA_NUM_PARALLEL=2", "OLLAMA_MAX_LOADED_MODELS=1", "OLLAMA_NOPRUNE=1"}
}

// URL is the server's base URL.
func (o *ollamaServer) URL() string { return "http://" + o.addr }

// start starts `ollama serve` and waits until /api/version answers.
func (o *ollamaServer) start() error {
	p, err := startProc("ollama", o.bin, o.env(), false, "serve")
	if err != nil {
		return err
	}
	o.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(o.URL() + "/api/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("ollama serve exited: %v\n%s", p.err, p.Logs(4096))
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("ollama serve not answering on %s:\n%s", o.addr, p.Logs(4096))
}

// create imports the GGUF at model as name with a Modelfile: one thread per
// runner (two threads stall each other on a busy 2-core machine) and a
// 256-token context.
func (o *ollamaServer) create(name, model string) error {
	dir := filepath.Dir(model)
	modelfile := filepath.Join(dir, "Modelfile")
	text := "FROM ./" + filepath.Base(model) + "\nPARAMETER num_thread 1\nPARAMETER num_ctx 256\n"
	if err := os.WriteFile(modelfile, []byte(text), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(o.bin, "create", name, "-f", modelfile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), o.env()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ollama create: %v\n%s", err, out)
	}
	return nil
}

// runnerTicks returns the CPU time (clock ticks, user + system) the model
// runners of the serving process used so far, and how many runners there are.
func (o *ollamaServer) runnerTicks() (int64, int, error) {
	parent := o.proc.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0, err
	}
	var ticks int64
	runners := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime(14) stime(15); comm may hold spaces.
		rest := stat[bytes.LastIndexByte(stat, ')')+2:]
		f := strings.Fields(string(rest))
		if len(f) < 13 || f[1] != strconv.Itoa(parent) {
			continue
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, err
		}
		ticks += utime + stime
		runners++
	}
	return ticks, runners, nil
}

// runnerBusy measures the runners' CPU over window and reports whether they
// used more than threshold ticks: a generating runner takes most of a core
// (100 ticks a second), an idle one next to none.
func (o *ollamaServer) runnerBusy(window time.Duration, threshold int64) (bool, int64, error) {
	a, n, err := o.runnerTicks()
	if err != nil || n == 0 {
		return false, 0, errors.Join(err, errors.New("no model runner process"))
	}
	time.Sleep(window) // a measurement window, not a wait for state
	b, _, err := o.runnerTicks()
	return b-a > threshold, b - a, err
}
