package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

func testDriver(bin string, env []string, progress io.Writer) *driver {
	return &driver{
		procs:    testProcs(bin, env),
		duration: 300 * time.Millisecond, repeat: 2, retention: time.Second,
		requestTimeout: 5 * time.Second, stopGrace: 5 * time.Second, progress: progress,
	}
}

func TestDirectAndProxyAgainstOneEngine(t *testing.T) {
	is := is.New(t)
	var progress bytes.Buffer
	d := testDriver(binDir(t, false), os.Environ(), &progress)
	sc := scenario{name: "small", title: "4 streams", concurrency: 4,
		targets: []loadgen.Target{loadgen.TargetDirect, loadgen.TargetProxy}, throughput: true}
	res := d.runScenario(context.Background(), sc)
	is.Equal(res.Errors, nil)  // nothing failed
	is.Equal(len(res.Runs), 4) // two repeats of two targets
	order := []loadgen.Target{res.Runs[0].Target, res.Runs[1].Target, res.Runs[2].Target, res.Runs[3].Target}
	is.Equal(order, []loadgen.Target{"direct", "proxy", "direct", "proxy"}) // interleaved
	for _, r := range res.Runs {
		is.Equal(r.Errors, int64(0))                 // no errors
		is.True(!r.Flagged)                          // so no flag
		is.True(r.Requests > 0)                      // streams completed
		is.Equal(r.Tokens, r.Requests*maxTokens)     // 64 tokens each
		is.True(r.ElapsedMs >= 300)                  // the whole duration
		is.True(r.EnginePID > 0)                     // the engine process is measured
		is.Equal(r.EnginePID, res.Runs[0].EnginePID) // the same one for every target
		is.True(r.EngineCPUMicrosPerRequest > 0)     // 300 ms of streams cost it more than a tick
		is.True(r.ClientCPUMicrosPerRequest > 0)     // and the clients' process too
		is.True(r.PID != r.EnginePID)                // the relay, when measured, is another process
	}
	is.Equal(res.Runs[0].PID, 0)                                // direct has no relay
	is.True(res.Runs[1].PID > 0)                                // the proxy is measured
	is.True(res.Points[1].EngineCPUMicrosPerRequest.Median > 0) // aggregated per point
	is.True(res.Points[1].ClientCPUMicrosPerRequest.Median > 0) // likewise
	is.Equal(strings.Count(progress.String(), ", engine "), 4)  // every progress line has the engine's figure
	is.Equal(len(res.Points), 2)                                // one point per target
	is.Equal(res.Points[0].VsDirect.TokensRatio, 1.0)           // direct against itself
	is.True(res.Points[1].VsDirect.TokensRatio > 0)             // proxy compared with direct
	is.Equal(strings.Count(progress.String(), "run "), 4)       // one progress line per run
}

func TestOrchdAndAdmitTargetsMeasureTheDaemon(t *testing.T) {
	cases := []struct {
		name    string
		targets []loadgen.Target
		conc    int
		engine  bool // the scenario has an engine, measured too
	}{
		{"streams", []loadgen.Target{loadgen.TargetDirect, loadgen.TargetOrchd}, 4, true},
		{"admission", []loadgen.Target{loadgen.TargetAdmit}, 4, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			d := testDriver(binDir(t, true), fakeEnv("serve"), io.Discard)
			d.repeat, d.warmup = 1, 100*time.Millisecond
			res := d.runScenario(context.Background(), scenario{name: tc.name, concurrency: tc.conc, targets: tc.targets})
			is.Equal(res.Errors, nil)                                     // nothing failed
			is.True(strings.Contains(res.DaemonConfig, "pool_id: sim-0")) // the config is kept
			last := res.Runs[len(res.Runs)-1]
			is.Equal(last.Target, tc.targets[len(tc.targets)-1]) // the daemon's target ran
			is.True(last.PID > 0)                                // measured the daemon process
			is.True(last.PeakRSSKiB > 0)                         // with its peak RSS
			is.True(last.Requests > 0)                           // and completed requests
			is.Equal(last.Errors, int64(0))                      // without errors
			is.Equal(last.EnginePID > 0, tc.engine)              // the engine is measured where there is one
			is.True(last.EnginePID != last.PID)                  // and it is not the daemon
			is.True(last.ClientCPUMs > 0)                        // the clients' process always is
		})
	}
}

func TestDaemonFailureLeavesTheOtherTargets(t *testing.T) {
	is := is.New(t)
	d := testDriver(binDir(t, true), fakeEnv("exit"), io.Discard)
	d.repeat = 1
	res := d.runScenario(context.Background(), scenario{name: "s", concurrency: 2, targets: streamTargets()})
	is.Equal(len(res.Errors), 1)                                          // one error
	is.True(strings.Contains(res.Errors[0], "orchestratord unavailable")) // about the daemon
	is.True(strings.Contains(res.Errors[0], "pools[0].engine"))           // with its own words
	is.Equal(len(res.Points), 2)                                          // direct and proxy still ran
}

func TestInterruptedScenarioStops(t *testing.T) {
	is := is.New(t)
	d := testDriver(binDir(t, false), os.Environ(), io.Discard)
	d.duration = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, interrupted := d.session(ctx, []scenario{{name: "s", concurrency: 1, targets: []loadgen.Target{loadgen.TargetDirect}}})
	is.True(interrupted)      // reported
	is.Equal(len(results), 0) // nothing started
}

func TestRunWritesJSONAndMarkdown(t *testing.T) {
	is := is.New(t)
	out := filepath.Join(t.TempDir(), "bench.md")
	bin := binDir(t, true)
	var stdout, stderr bytes.Buffer
	argv := []string{"bin/benchrun", "--bin", bin, "--duration", "200ms", "--repeat", "1", "--warmup", "0",
		"--scenarios", "admit", "--json", "--out", out}
	code := run(context.Background(), argv, fakeEnv("serve"), time.Unix(0, 0), &stdout, &stderr)
	is.Equal(code, 0) // success
	var res Result
	is.NoErr(json.Unmarshal(stdout.Bytes(), &res))                   // the result is JSON
	is.Equal(res.Machine.Date, "1970-01-01T00:00:00Z")               // the injected clock
	is.True(strings.Contains(res.Command, "--json"))                 // the exact command
	is.Equal(len(res.Scenarios), 1)                                  // the one scenario asked for
	is.Equal(res.Scenarios[0].Points[0].Target, loadgen.TargetAdmit) // admission alone
	md, err := os.ReadFile(out)
	is.NoErr(err)                                                          // --out was written
	is.True(bytes.Contains(md, []byte("admission alone, POST /v2/tasks"))) // the markdown report
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, 0},
		{"unknown scenario", []string{"--scenarios", "nope"}, 2},
		{"stray argument", []string{"extra"}, 2},
		{"missing engine", []string{"--bin", "/nonexistent", "--scenarios", "c1", "--warmup", "0", "--duration", "10ms"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			code := run(context.Background(), append([]string{"benchrun"}, tc.args...), os.Environ(), time.Now(), io.Discard, io.Discard)
			is.Equal(code, tc.want) // exit code
		})
	}
}
