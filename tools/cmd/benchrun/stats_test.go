package main

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

func TestMedianAndBest(t *testing.T) {
	cases := []struct {
		name                 string
		xs                   []float64
		median, high, lowest float64
	}{
		{"none", nil, 0, 0, 0},
		{"one", []float64{3}, 3, 3, 3},
		{"two: the mean", []float64{4, 2}, 3, 4, 2},
		{"odd: the middle", []float64{9, 1, 5}, 5, 9, 1},
		{"even: mean of the middle two", []float64{10, 1, 7, 3}, 5, 10, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			in := append([]float64(nil), tc.xs...)
			is.Equal(median(tc.xs), tc.median) // median
			is.Equal(highest(tc.xs), tc.high)  // best rate
			is.Equal(lowest(tc.xs), tc.lowest) // best time
			is.Equal(tc.xs, in)                // the input is left alone
		})
	}
}

func TestRatio(t *testing.T) {
	cases := []struct {
		name string
		a, b float64
		want float64
		ok   bool
	}{
		{"plain", 80, 100, 0.8, true},
		{"zero divisor", 80, 0, 0, false},
		{"negative divisor", 80, -1, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, ok := ratio(tc.a, tc.b)
			is.Equal(got, tc.want) // a/b
			is.Equal(ok, tc.ok)    // defined only for b > 0
		})
	}
}

func TestFlagged(t *testing.T) {
	cases := []struct {
		name string
		rep  loadgen.Report
		want bool
	}{
		{"clean", loadgen.Report{Requests: 10}, false},
		{"errors", loadgen.Report{Requests: 10, Errors: 1}, true},
		{"incomplete", loadgen.Report{Requests: 10, Incomplete: 1}, true},
		{"nothing completed", loadgen.Report{}, true},
		{"interrupted", loadgen.Report{Requests: 10, Interrupted: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(flagged(tc.rep), tc.want) // flag
		})
	}
}

func mkRun(target loadgen.Target, repeat int, tokens, ttft, cpu float64, errs int64) RunResult {
	r := loadgen.Report{Target: target, Requests: 100, Errors: errs, TokensPerSec: tokens, RequestsPerSec: tokens / 64, TTFTP50Ms: ttft}
	if cpu > 0 {
		r.PID, r.CPUMicrosPerRequest, r.PeakRSSKiB = 42, cpu, int64(cpu)*100
	}
	return RunResult{Repeat: repeat, Report: r, Flagged: flagged(r)}
}

func TestPoints(t *testing.T) {
	is := is.New(t)
	runs := []RunResult{
		mkRun("direct", 1, 1000, 1.0, 0, 0), mkRun("proxy", 1, 700, 1.5, 0, 0), mkRun("orchd", 1, 800, 1.25, 150, 0),
		mkRun("direct", 2, 1200, 0.5, 0, 0), mkRun("proxy", 2, 500, 1.1, 0, 2), mkRun("orchd", 2, 1000, 1.75, 130, 0),
		{Repeat: 3, Report: loadgen.Report{Target: "orchd", Errors: 5, PID: 42, PeakRSSKiB: 99999}, Flagged: true},
	}
	ps := points(streamTargets(), runs)
	is.Equal(len(ps), 3) // one point per target

	direct, proxy, orchd := ps[0], ps[1], ps[2]
	is.Equal(direct.TokensPerSec, Stat{Best: 1200, Median: 1100})            // best and median tokens/s
	is.Equal(direct.TTFTP50Ms, Stat{Best: 0.5, Median: 0.75})                // the lowest TTFT is the best
	is.Equal(*direct.VsDirect, Relative{TokensRatio: 1, TokensRatioBest: 1}) // direct against itself

	is.True(proxy.Flagged)                               // a run had errors
	is.Equal(proxy.Errors, int64(2))                     // counted
	is.Equal(proxy.VsDirect.TokensRatio, 600.0/1100)     // median over median
	is.Equal(proxy.VsDirect.TokensRatioBest, 700.0/1200) // best over best

	is.Equal(orchd.Runs, 3)                                           // every run counted
	is.True(orchd.Flagged)                                            // the empty run is flagged
	is.Equal(orchd.TokensPerSec, Stat{Best: 1000, Median: 900})       // but left out of the figures
	is.Equal(orchd.CPUMicrosPerRequest, Stat{Best: 130, Median: 140}) // CPU per stream
	is.Equal(orchd.PeakRSSKiB, int64(99999))                          // the highest peak RSS
	is.Equal(orchd.VsDirect.TTFTAddedMs, 0.75)                        // median TTFT minus direct's
	is.Equal(orchd.VsDirect.TTFTAddedBestMs, 0.75)                    // best minus best
}

func TestPointsWithoutDirect(t *testing.T) {
	is := is.New(t)
	ps := points([]loadgen.Target{loadgen.TargetDirect, loadgen.TargetAdmit}, []RunResult{mkRun("admit", 1, 0, 0, 50, 0)})
	is.Equal(len(ps), 1)           // targets without runs are left out
	is.True(ps[0].VsDirect == nil) // nothing to compare with
}

func TestNoRatioAgainstADirectThatMeasuredNothing(t *testing.T) {
	is := is.New(t)
	runs := []RunResult{{Repeat: 1, Report: loadgen.Report{Target: "direct", Errors: 3}, Flagged: true}, mkRun("orchd", 1, 900, 1, 100, 0)}
	ps := points(streamTargets(), runs)
	is.True(ps[1].VsDirect == nil) // no ratio, rather than a division by zero
}

func TestOpenAIComparedWithOrchd(t *testing.T) {
	is := is.New(t)
	sc, ok := lookupScenario(scenarioSaturated)
	is.True(ok) // the saturated scenario exists
	runs := []RunResult{
		mkRun("direct", 1, 1000, 1, 0, 0), mkRun("orchd", 1, 800, 2, 150, 0), mkRun("openai", 1, 600, 2.5, 160, 0),
		mkRun("direct", 2, 1000, 1, 0, 0), mkRun("orchd", 2, 1000, 2, 150, 0), mkRun("openai", 2, 900, 2.5, 160, 0),
	}
	ps := points(sc.targets, runs)
	is.Equal(len(ps), 3) // direct, orchd, openai (proxy did not run)
	orchd, openai := ps[1], ps[2]
	is.Equal(openai.Target, loadgen.TargetOpenAI)   // openai comes after orchd
	is.True(orchd.VsOrchd == nil)                   // only openai is compared with orchd
	is.Equal(openai.VsOrchd.TokensRatio, 750.0/900) // median over median
	is.Equal(openai.VsOrchd.TokensRatioBest, 0.9)   // best over best
	is.Equal(openai.VsOrchd.TTFTAddedMs, 0.5)       // TTFT added to orchd's
	is.Equal(openai.VsDirect.TokensRatio, 0.75)     // and still compared with direct
}

func TestOpenAIWithoutOrchd(t *testing.T) {
	is := is.New(t)
	ps := points([]loadgen.Target{loadgen.TargetOrchd, loadgen.TargetOpenAI}, []RunResult{mkRun("openai", 1, 900, 1, 100, 0)})
	is.Equal(len(ps), 1)          // orchd did not run
	is.True(ps[0].VsOrchd == nil) // nothing to compare with
}

func TestPointsMachineCPU(t *testing.T) {
	is := is.New(t)
	// onMachine (markdown_test.go) sets the engine's and the client's figures.
	runs := []RunResult{
		onMachine(mkRun("direct", 1, 1000, 1, 0, 0), 270, 60), onMachine(mkRun("orchd", 1, 800, 2, 200, 0), 260, 80),
		onMachine(mkRun("direct", 2, 1000, 1, 0, 0), 290, 64), onMachine(mkRun("orchd", 2, 900, 2, 190, 0), 280, 90),
		onMachine(mkRun("orchd", 3, 850, 2, 210, 0), 250, 85),
		{Repeat: 4, Report: loadgen.Report{Target: "orchd", Errors: 5, EnginePID: 7, EngineCPUMs: 9, ClientCPUMs: 9}, Flagged: true},
		mkRun("proxy", 1, 700, 1.5, 150, 0),
	}
	ps := points(streamTargets(), runs)
	direct, proxy, orchd := ps[0], ps[1], ps[2]
	is.Equal(direct.EngineCPUMicrosPerRequest, Stat{Best: 270, Median: 280}) // the engine's, median over runs
	is.Equal(direct.ClientCPUMicrosPerRequest, Stat{Best: 60, Median: 62})   // the client's
	is.Equal(orchd.EngineCPUMicrosPerRequest, Stat{Best: 250, Median: 260})  // the run that completed nothing is left out
	is.Equal(orchd.ClientCPUMicrosPerRequest, Stat{Best: 80, Median: 85})    // likewise
	is.Equal(proxy.EngineCPUMicrosPerRequest, Stat{})                        // no engine pid: no figure
	is.Equal(proxy.ClientCPUMicrosPerRequest, Stat{})                        // no client CPU read: no figure
}
