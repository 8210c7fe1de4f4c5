package main

import (
	"slices"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// median is the middle value of xs, the mean of the two middle ones for an
// even count, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// highest and lowest are the best value of a rate and of a time; 0 for none.
func highest(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return slices.Max(xs)
}

func lowest(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return slices.Min(xs)
}

// ratio is a/b, and false when b is not positive.
func ratio(a, b float64) (float64, bool) {
	if b <= 0 {
		return 0, false
	}
	return a / b, true
}

// flagged says whether a run's figures need a second look.
func flagged(r loadgen.Report) bool {
	return r.Errors > 0 || r.Incomplete > 0 || r.Requests == 0 || r.Interrupted
}

// summarize makes the point of target out of the runs of a scenario.
func summarize(target loadgen.Target, runs []RunResult) Point {
	p := Point{Target: target}
	var tokens, reqs, ttft, cpu, engine, client []float64
	for _, r := range runs {
		if r.Target != target {
			continue
		}
		p.Runs++
		p.Flagged = p.Flagged || r.Flagged
		p.Errors += r.Errors
		p.Incomplete += r.Incomplete
		p.PeakRSSKiB = max(p.PeakRSSKiB, r.PeakRSSKiB)
		if r.Requests == 0 {
			continue
		}
		tokens = append(tokens, r.TokensPerSec)
		reqs = append(reqs, r.RequestsPerSec)
		ttft = append(ttft, r.TTFTP50Ms)
		if r.PID > 0 {
			cpu = append(cpu, r.CPUMicrosPerRequest)
		}
		if r.EnginePID > 0 {
			engine = append(engine, r.EngineCPUMicrosPerRequest)
		}
		if r.ClientCPUMs > 0 {
			client = append(client, r.ClientCPUMicrosPerRequest)
		}
	}
	p.TokensPerSec = Stat{Best: highest(tokens), Median: median(tokens)}
	p.RequestsPerSec = Stat{Best: highest(reqs), Median: median(reqs)}
	p.TTFTP50Ms = Stat{Best: lowest(ttft), Median: median(ttft)}
	p.CPUMicrosPerRequest = Stat{Best: lowest(cpu), Median: median(cpu)}
	p.EngineCPUMicrosPerRequest = Stat{Best: lowest(engine), Median: median(engine)}
	p.ClientCPUMicrosPerRequest = Stat{Best: lowest(client), Median: median(client)}
	return p
}

// relativeTo compares p with base (direct, or orchd for openai); nil when
// base measured nothing.
func relativeTo(p, base Point) *Relative {
	med, ok1 := ratio(p.TokensPerSec.Median, base.TokensPerSec.Median)
	best, ok2 := ratio(p.TokensPerSec.Best, base.TokensPerSec.Best)
	if !ok1 || !ok2 || p.TokensPerSec.Median == 0 {
		return nil
	}
	return &Relative{
		TokensRatio:     med,
		TokensRatioBest: best,
		TTFTAddedMs:     p.TTFTP50Ms.Median - base.TTFTP50Ms.Median,
		TTFTAddedBestMs: p.TTFTP50Ms.Best - base.TTFTP50Ms.Best,
	}
}

// points sums up runs per target, in the order of targets, compares every
// one with direct when direct ran, and openai with orchd when both ran.
func points(targets []loadgen.Target, runs []RunResult) []Point {
	out := make([]Point, 0, len(targets))
	for _, t := range targets {
		if p := summarize(t, runs); p.Runs > 0 {
			out = append(out, p)
		}
	}
	index := func(t loadgen.Target) int { return slices.IndexFunc(out, func(p Point) bool { return p.Target == t }) }
	if orchd, openai := index(loadgen.TargetOrchd), index(loadgen.TargetOpenAI); orchd >= 0 && openai >= 0 {
		out[openai].VsOrchd = relativeTo(out[openai], out[orchd])
	}
	if direct := index(loadgen.TargetDirect); direct >= 0 {
		for i := range out {
			out[i].VsDirect = relativeTo(out[i], out[direct])
		}
	}
	return out
}
