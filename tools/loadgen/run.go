package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples is how many distinct error messages a report keeps.
const maxErrorSamples = 5

// Run drives cfg's load and reports it. The clients stop issuing requests at
// the first bound reached (Duration, Requests) and the run ends when the
// requests in flight are done; when ctx is done they are abandoned and the
// report says Interrupted.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	base, err := url.Parse(cfg.URL)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.Target == TargetProxy {
		p, err := startProxy(base, cfg.Concurrency)
		if err != nil {
			return Report{}, fmt.Errorf("starting the proxy: %w", err)
		}
		defer p.close()
		base = p.url
	}
	tr := newTransport(cfg.Concurrency)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	clients := make([]*client, cfg.Concurrency)
	for i := range clients {
		if clients[i], err = newClient(cfg, hc, base); err != nil {
			return Report{}, err
		}
	}

	clocks, err := startClocks(cfg)
	if err != nil {
		return Report{}, err
	}
	results := make([]tally, cfg.Concurrency)
	var issued atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range clients {
		wg.Go(func() { results[i] = loop(ctx, cfg, c, start, startOffset(i, cfg.Concurrency, cfg.Stagger), &issued) })
	}
	wg.Wait()
	elapsed := time.Since(start)

	rep := newReport(cfg, elapsed, results)
	rep.Interrupted = ctx.Err() != nil
	return rep, clocks.addTo(&rep)
}

// clocks are the CPU clocks of a run: the relay's and the engine's when
// their pids are given (pid 0: not measured), the load generator's own
// process always, unless /proc/self is unreadable.
type clocks struct {
	relay, engine, client cpuClock
}

func startClocks(cfg Config) (clocks, error) {
	var c clocks
	var err error
	if cfg.PID > 0 {
		if c.relay, err = startCPUClock(cfg.PID); err != nil {
			return c, fmt.Errorf("reading pid %d: %w", cfg.PID, err)
		}
	}
	if cfg.EnginePID > 0 {
		if c.engine, err = startCPUClock(cfg.EnginePID); err != nil {
			return c, fmt.Errorf("reading engine pid %d: %w", cfg.EnginePID, err)
		}
	}
	if self, err := startCPUClock(os.Getpid()); err == nil {
		c.client = self
	}
	return c, nil
}

// addTo adds the processes' figures to r; it reports every process it
// could not read and fills in the others.
func (c clocks) addTo(r *Report) error {
	var errs []error
	if c.relay.pid > 0 {
		if err := r.addProcess(c.relay); err != nil {
			errs = append(errs, fmt.Errorf("reading pid %d: %w", c.relay.pid, err))
		}
	}
	if c.engine.pid > 0 {
		ms, err := c.engine.elapsedMs()
		if err != nil {
			errs = append(errs, fmt.Errorf("reading engine pid %d: %w", c.engine.pid, err))
		} else {
			r.EnginePID, r.EngineCPUMs, r.EngineCPUMicrosPerRequest = c.engine.pid, ms, perRequestMicros(ms, r.Requests)
		}
	}
	if c.client.pid > 0 {
		if ms, err := c.client.elapsedMs(); err == nil {
			r.ClientCPUMs, r.ClientCPUMicrosPerRequest = ms, perRequestMicros(ms, r.Requests)
		}
	}
	return errors.Join(errs...)
}

// tally is what one client saw.
type tally struct {
	ok, errors, incomplete, tokens int64
	ttft, latency                  []time.Duration
	samples                        []string
}

// startOffset is when client i of n issues its first request, relative to
// the start of the run: evenly spread over stagger.
func startOffset(i, n int, stagger time.Duration) time.Duration {
	return time.Duration(int64(stagger) * int64(i) / int64(n))
}

// loop is one closed-loop client: after offset, a request, its whole answer,
// the next.
func loop(ctx context.Context, cfg Config, c *client, start time.Time, offset time.Duration, issued *atomic.Int64) tally {
	var t tally
	if offset > 0 {
		wait := time.NewTimer(offset)
		select {
		case <-ctx.Done():
		case <-wait.C:
		}
		wait.Stop()
	}
	for ctx.Err() == nil {
		if cfg.Requests > 0 && issued.Add(1) > int64(cfg.Requests) {
			break
		}
		if cfg.Duration > 0 && time.Since(start) >= cfg.Duration {
			break
		}
		t0 := time.Now()
		r := c.do(ctx)
		lat := time.Since(t0)
		if ctx.Err() != nil {
			break // interrupted: the request says nothing about the target
		}
		t.tokens += r.tokens
		if r.err != nil {
			t.errors++
			if isIncomplete(r.err) {
				t.incomplete++
			}
			if len(t.samples) < maxErrorSamples && !slices.Contains(t.samples, r.err.Error()) {
				t.samples = append(t.samples, r.err.Error())
			}
			continue
		}
		t.ok++
		t.latency = append(t.latency, lat)
		if r.ttft > 0 {
			t.ttft = append(t.ttft, r.ttft)
		}
	}
	return t
}
