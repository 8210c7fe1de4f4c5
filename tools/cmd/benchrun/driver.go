package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// driver runs scenarios: it starts their children, measures every target
// and stops the children again.
type driver struct {
	procs    procs
	duration time.Duration
	warmup   time.Duration
	repeat   int
	// retention is the daemon's events.retention_ms.
	retention time.Duration
	// requestTimeout bounds one stream; a run lasts at most duration plus it.
	requestTimeout time.Duration
	// stopGrace is how long a child gets between SIGTERM and SIGKILL.
	stopGrace time.Duration
	// progress receives one line per run.
	progress io.Writer
}

// endpoint is a target of a scenario and where it is reached.
type endpoint struct {
	target loadgen.Target
	client loadgen.Target // the load generator's target when not target itself
	url    string
	daemon *child // the measured process (orchd, admit, openai, the relay), or nil
	engine *child // the simulated engine, measured too, or nil
	failed bool   // no further runs: it failed and the reason is recorded
}

// clientTarget is what the load generator is told to drive: the relay is
// driven like the engine it stands in front of.
func (ep endpoint) clientTarget() loadgen.Target {
	if ep.client != "" {
		return ep.client
	}
	return ep.target
}

// session runs every scenario in turn; it stops early when ctx is done.
func (d *driver) session(ctx context.Context, all []scenario) (results []ScenarioResult, interrupted bool) {
	results = []ScenarioResult{}
	for _, sc := range all {
		if ctx.Err() != nil {
			return results, true
		}
		d.logf("== %s: %s", sc.name, sc.title)
		results = append(results, d.runScenario(ctx, sc))
	}
	return results, ctx.Err() != nil
}

// runScenario starts the engine and the daemon the scenario needs, warms
// every target up, then measures them one after another, repeat times.
// A target that cannot run is recorded in Errors and the others still run.
func (d *driver) runScenario(ctx context.Context, sc scenario) ScenarioResult {
	res := ScenarioResult{Name: sc.name, Title: sc.title, Concurrency: sc.concurrency,
		TokenDelayMs: float64(sc.tokenDelay) / float64(time.Millisecond), Runs: []RunResult{}, Points: []Point{}}
	dir, err := os.MkdirTemp("", "benchrun-"+sc.name+"-")
	if err != nil {
		res.Errors = append(res.Errors, "temporary directory: "+err.Error())
		return res
	}
	defer os.RemoveAll(dir)

	var engine, relay, daemon *child
	if sc.needsEngine() {
		if engine, err = d.procs.startEngine(ctx, sc.tokenDelay); err != nil {
			res.Errors = append(res.Errors, err.Error())
			return res
		}
		defer d.stop(engine)
	}
	if engine != nil && slices.Contains(sc.targets, loadgen.TargetProxy) {
		if relay, err = d.procs.startRelay(ctx, engine.url); err != nil {
			res.Errors = append(res.Errors, "the relay proxy is left out: "+err.Error())
		} else {
			defer d.stop(relay)
		}
	}
	if sc.needsDaemon() {
		daemon, res.DaemonConfig, err = d.startDaemon(ctx, dir, sc, engine)
		if err != nil {
			res.Errors = append(res.Errors, "orchestratord unavailable, its targets are left out: "+err.Error())
		} else {
			defer d.stop(daemon)
		}
	}
	eps := endpoints(sc, engine, relay, daemon)
	d.warmUp(ctx, sc, eps, &res)
	for r := 1; r <= d.repeat && ctx.Err() == nil; r++ {
		for i := range eps {
			if eps[i].failed || ctx.Err() != nil {
				continue
			}
			d.measure(ctx, sc, r, &eps[i], &res)
		}
	}
	res.Interrupted = ctx.Err() != nil
	res.Points = points(sc.targets, res.Runs)
	return res
}

// startDaemon starts orchestratord for sc: in front of engine, or, for
// admission alone, in front of a closed port so that every task stays
// queued.
func (d *driver) startDaemon(ctx context.Context, dir string, sc scenario, engine *child) (*child, string, error) {
	spec := daemonSpec{dataDir: filepath.Join(dir, "data"), retention: d.retention, queueCapacity: streamQueue}
	if engine != nil {
		spec.engineURL = engine.url
	} else {
		url, err := closedPort()
		if err != nil {
			return nil, "", fmt.Errorf("finding a closed port: %w", err)
		}
		spec.engineURL = url
		spec.queueCapacity = admitCapacity(d.warmup, d.duration, d.repeat)
	}
	daemon, cfg, err := d.procs.startDaemon(ctx, dir, spec)
	if err != nil || engine == nil {
		return daemon, cfg, err
	}
	if err := d.procs.waitStreaming(ctx, daemon); err != nil {
		d.stop(daemon)
		return nil, cfg, err
	}
	return daemon, cfg, nil
}

// endpoints lists the scenario's targets that have what they need.
func endpoints(sc scenario, engine, relay, daemon *child) []endpoint {
	var eps []endpoint
	for _, t := range sc.targets {
		switch {
		case t == loadgen.TargetDirect && engine != nil:
			eps = append(eps, endpoint{target: t, url: engine.url, engine: engine})
		case t == loadgen.TargetProxy && relay != nil:
			eps = append(eps, endpoint{target: t, client: loadgen.TargetDirect, url: relay.url, daemon: relay, engine: engine})
		case daemonTarget(t) && daemon != nil:
			eps = append(eps, endpoint{target: t, url: daemon.url, daemon: daemon, engine: engine})
		}
	}
	return eps
}

// config is one run of ep.
func (d *driver) config(sc scenario, ep endpoint, length time.Duration) loadgen.Config {
	cfg := loadgen.Config{Target: ep.clientTarget(), URL: ep.url, Concurrency: sc.concurrency, Duration: length,
		Model: engineModel, MaxTokens: maxTokens, Timeout: d.requestTimeout, Stagger: sc.stagger}
	if ep.daemon != nil {
		cfg.PID = ep.daemon.pid()
	}
	if ep.engine != nil {
		cfg.EnginePID = ep.engine.pid()
	}
	return cfg
}

// warmUp runs every endpoint once, unmeasured; an endpoint that completes
// nothing is left out of the scenario.
func (d *driver) warmUp(ctx context.Context, sc scenario, eps []endpoint, res *ScenarioResult) {
	if d.warmup <= 0 {
		return
	}
	for i := range eps {
		if ctx.Err() != nil {
			return
		}
		cfg := d.config(sc, eps[i], d.warmup)
		cfg.PID, cfg.EnginePID = 0, 0
		rep, err := loadgen.Run(ctx, cfg)
		switch {
		case err != nil:
			d.fail(&eps[i], res, fmt.Sprintf("%s warm-up: %v", eps[i].target, err))
		case rep.Requests == 0 && ctx.Err() == nil:
			d.fail(&eps[i], res, fmt.Sprintf("%s warm-up completed no request (%d errors: %s)%s",
				eps[i].target, rep.Errors, strings.Join(rep.ErrorSamples, "; "), daemonState(eps[i])))
		}
	}
}

// measure runs ep once and records the run.
func (d *driver) measure(ctx context.Context, sc scenario, repeat int, ep *endpoint, res *ScenarioResult) {
	if ep.daemon != nil {
		if err := ep.daemon.exited(); err != nil {
			d.fail(ep, res, err.Error())
			return
		}
	}
	rep, err := loadgen.Run(ctx, d.config(sc, *ep, d.duration))
	if rep.Target != "" {
		rep.Target = ep.target
	}
	if err != nil && rep.Target == "" {
		d.fail(ep, res, fmt.Sprintf("%s run %d: %v", ep.target, repeat, err))
		return
	}
	run := RunResult{Repeat: repeat, Report: rep, Flagged: flagged(rep) || err != nil}
	res.Runs = append(res.Runs, run)
	d.logf("[%s] %s run %d/%d: %s", sc.name, ep.target, repeat, d.repeat, runLine(run))
	if err != nil {
		d.fail(ep, res, fmt.Sprintf("%s run %d: %v%s", ep.target, repeat, err, daemonState(*ep)))
	}
}

// fail records why ep stops running.
func (d *driver) fail(ep *endpoint, res *ScenarioResult, msg string) {
	ep.failed = true
	res.Errors = append(res.Errors, msg)
	d.logf("[%s] error: %s", res.Name, msg)
}

// daemonState adds how the daemon ended, if it did.
func daemonState(ep endpoint) string {
	if ep.daemon == nil {
		return ""
	}
	if err := ep.daemon.exited(); err != nil {
		return "; " + err.Error()
	}
	return ""
}

// stop stops a child and says so when it had to be killed.
func (d *driver) stop(c *child) {
	if c.stop(d.stopGrace) {
		d.logf("warning: %s ignored SIGTERM for %v and was killed", c.name, d.stopGrace)
	}
}

func (d *driver) logf(format string, args ...any) {
	fmt.Fprintf(d.progress, format+"\n", args...)
}

// runLine is the progress line of a run.
func runLine(r RunResult) string {
	var b strings.Builder
	if r.Target == loadgen.TargetAdmit {
		fmt.Fprintf(&b, "%.0f req/s", r.RequestsPerSec)
	} else {
		fmt.Fprintf(&b, "%.0f tok/s, %.1f streams/s, TTFT p50 %.3f ms", r.TokensPerSec, r.RequestsPerSec, r.TTFTP50Ms)
	}
	if r.PID > 0 {
		fmt.Fprintf(&b, ", %.1f µs CPU/request, peak RSS %.1f MiB", r.CPUMicrosPerRequest, float64(r.PeakRSSKiB)/1024)
	}
	if r.EnginePID > 0 {
		fmt.Fprintf(&b, ", engine %.1f µs", r.EngineCPUMicrosPerRequest)
	}
	fmt.Fprintf(&b, ", client %.1f µs", r.ClientCPUMicrosPerRequest)
	fmt.Fprintf(&b, ", %d errors (%d incomplete)", r.Errors, r.Incomplete)
	if r.Flagged {
		b.WriteString(" [flagged]")
	}
	return b.String()
}
