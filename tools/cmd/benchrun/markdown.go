package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// mdWriter writes markdown and keeps the first write error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) f(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// table writes a markdown table; every row has len(header) cells.
func (m *mdWriter) table(header []string, rows [][]string) {
	m.f("| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
	for _, r := range rows {
		m.f("| %s |\n", strings.Join(r, " | "))
	}
	m.f("\n")
}

// writeMarkdown renders the session for humans (and docs/benchmarks.md).
func writeMarkdown(w io.Writer, r Result) error {
	m := &mdWriter{w: w}
	m.f("# End-to-end benchmark: engine direct, plain reverse proxy, orchestratord\n\n")
	writeSetup(m, r)
	if r.Interrupted {
		m.f("**Interrupted**: the session was stopped before its end; the figures below are partial.\n\n")
	}
	m.f("## Goals (docs/performance.md)\n\n")
	m.table([]string{"goal", "aim", "median", "best", "met (median)"}, goalRows(r))
	for _, s := range r.Scenarios {
		writeScenario(m, s, machine{nproc: r.Machine.NProc, maxTokens: r.Settings.MaxTokens})
	}
	return m.err
}

func writeSetup(m *mdWriter, r Result) {
	mc, st := r.Machine, r.Settings
	m.f("- date: %s\n", mc.Date)
	m.f("- machine: %d CPUs (nproc), %s, %s\n", mc.NProc, mc.CPU, mc.Kernel)
	m.f("- Go: %s %s", mc.GoVersion, mc.OSArch)
	if mc.Revision != "" {
		m.f(", benchrun built from %s", mc.Revision)
	}
	m.f("\n- command: `%s`\n", r.Command)
	m.f("- setup: one simulated engine process per scenario (`simengine --flavor vllm --slots %d`), %d-token streams, "+
		"closed-loop clients inside benchrun, everything on 127.0.0.1; per scenario each target is warmed up for %s, "+
		"then measured %d × %s, the targets one after another (direct → proxy → orchestratord, then openai where a "+
		"scenario has it) within each repeat.\n",
		st.EngineSlots, st.MaxTokens, msText(st.WarmupMs), st.Repeat, msText(st.DurationMs))
	m.f("- orchestratord: a fresh process per scenario, one static vllm pool of %d slots, queue policy reject, "+
		"events.retention_ms %d (finished event logs kept that long).\n", st.EngineSlots, st.RetentionMs)
	m.f("- proxy: `bin/relayproxy`, a process of its own: `httputil.ReverseProxy` (FlushInterval -1, request body buffered) in front of the same engine; its CPU per stream and peak RSS are measured like orchestratord's.\n")
	m.f("- orchestratord is reached through `POST /v2/tasks` and the task's event stream; openai is the same daemon " +
		"through `POST /v1/chat/completions` streamed (a token per chunk with non-empty `delta.content`, " +
		"complete at `data: [DONE]`).\n")
	m.f("- figures: best and median over the runs of a target. × direct is tokens/s over direct's " +
		"(median over median, best over best); + TTFT is TTFT p50 minus direct's. CPU per request is " +
		"the relay's (orchestratord's or the proxy's) utime+stime from /proc/<pid>/stat over the completed requests, " +
		"peak RSS its VmHWM. A run with errors, incomplete streams or no completed request is flagged ⚑.\n")
	m.f("- CPU per stream on the machine (throughput scenarios): the engine, the relay and the clients share the "+
		"same %d cores, so with every core busy tokens/s is set by the sum of the three, not by the relay's alone. "+
		"Measured over the same runs: engine is the simulated engine's process, client is benchrun's own process, "+
		"where the closed-loop clients run (orchestratord's clients make two requests a stream, `POST /v2/tasks` and "+
		"the event stream); total is the sum of the three medians.\n\n", mc.NProc)
}

// goal is an aim of docs/performance.md, or a reference figure beside them.
type goal struct {
	scenario string
	target   loadgen.Target
	label    string
	aim      string
	// cells returns the median, the best and whether the median meets the
	// aim ("—" for a reference); ok is false when the point lacks the figure.
	cells func(p Point) (median, best, met string, ok bool)
}

func goals() []goal {
	ratio := func(aim float64) func(Point) (string, string, string, bool) {
		return func(p Point) (string, string, string, bool) {
			if p.VsDirect == nil {
				return "", "", "", false
			}
			m := "—"
			if aim > 0 {
				m = met(p.VsDirect.TokensRatio >= aim)
			}
			return fixed(p.VsDirect.TokensRatio, 2), fixed(p.VsDirect.TokensRatioBest, 2), m, true
		}
	}
	vsOrchd := func(p Point) (string, string, string, bool) {
		if p.VsOrchd == nil {
			return "", "", "", false
		}
		return fixed(p.VsOrchd.TokensRatio, 2), fixed(p.VsOrchd.TokensRatioBest, 2), "—", true
	}
	added := func(aimMs float64) func(Point) (string, string, string, bool) {
		return func(p Point) (string, string, string, bool) {
			if p.VsDirect == nil {
				return "", "", "", false
			}
			m := "—"
			if aimMs > 0 {
				m = met(p.VsDirect.TTFTAddedMs <= aimMs)
			}
			return signedMs(p.VsDirect.TTFTAddedMs), signedMs(p.VsDirect.TTFTAddedBestMs), m, true
		}
	}
	cpu := func(p Point) (string, string, string, bool) {
		c := p.CPUMicrosPerRequest
		return fixed(c.Median, 1) + " µs", fixed(c.Best, 1) + " µs", met(c.Median <= 200), c.Median > 0
	}
	rss := func(p Point) (string, string, string, bool) {
		mib := float64(p.PeakRSSKiB) / 1024
		return fixed(mib, 1) + " MiB", "—", met(mib <= 64), p.PeakRSSKiB > 0
	}
	admit := func(p Point) (string, string, string, bool) {
		r := p.RequestsPerSec
		return grouped(r.Median), grouped(r.Best), met(r.Median >= 10000), r.Median > 0
	}
	return []goal{
		{scenarioSaturated, loadgen.TargetOrchd, "saturated (256 streams) tokens/s, orchestratord / direct", "≥ 0.80", ratio(0.8)},
		{scenarioSaturated, loadgen.TargetProxy, "saturated (256 streams) tokens/s, proxy / direct (reference)", "—", ratio(0)},
		{scenarioSaturated, loadgen.TargetOpenAI, "saturated (256 streams) tokens/s, openai (/v1 chat) / orchestratord (/v2) (reference)", "—", vsOrchd},
		{scenarioUnsaturated, loadgen.TargetOrchd, "unsaturated (64 streams, 5 ms/token, arrivals spread) TTFT p50 added", "≤ 1 ms", added(1)},
		{scenarioUnsaturated, loadgen.TargetProxy, "unsaturated, arrivals spread: proxy TTFT p50 added (reference)", "—", added(0)},
		{scenarioLockstep, loadgen.TargetOrchd, "unsaturated in lockstep (bursts of 64) TTFT p50 added (reference)", "—", added(0)},
		{scenarioLockstep, loadgen.TargetProxy, "unsaturated in lockstep: proxy TTFT p50 added (reference)", "—", added(0)},
		{scenarioC1, loadgen.TargetOrchd, "C=1 TTFT p50 added", "—", added(0)},
		{scenarioSaturated, loadgen.TargetOrchd, "orchestratord CPU per stream at 256 streams", "≤ 200 µs", cpu},
		{scenarioRSS512, loadgen.TargetOrchd, "orchestratord CPU per stream at 512 streams", "≤ 200 µs", cpu},
		{scenarioRSS512, loadgen.TargetOrchd, "orchestratord peak RSS at 512 streams (highest run)", "≤ 64 MB", rss},
		{scenarioAdmit, loadgen.TargetAdmit, "admission alone, POST /v2/tasks per second", "≥ 10,000", admit},
	}
}

// goalRows compares the session with the aims of docs/performance.md. A
// goal whose scenario did not run is left out; one whose scenario ran
// without the figure says so.
func goalRows(r Result) [][]string {
	var rows [][]string
	for _, g := range goals() {
		i := slices.IndexFunc(r.Scenarios, func(s ScenarioResult) bool { return s.Name == g.scenario })
		if i < 0 {
			continue
		}
		row := []string{g.label, g.aim, "not measured", "—", "—"}
		if p, ok := r.Scenarios[i].point(g.target); ok {
			if median, best, m, ok := g.cells(p); ok {
				row = []string{g.label, g.aim, median, best, m}
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func writeScenario(m *mdWriter, s ScenarioResult, mc machine) {
	m.f("## %s — %s\n\n", s.Name, s.Title)
	m.f("Concurrency %d", s.Concurrency)
	if s.TokenDelayMs > 0 {
		m.f(", engine token delay %s", msText(s.TokenDelayMs))
	}
	m.f(".\n\n")
	if len(s.Errors) > 0 {
		m.f("**Errors:**\n\n```text\n")
		for _, e := range s.Errors {
			m.f("%s\n", strings.ReplaceAll(strings.TrimSpace(e), "```", "` ` `"))
		}
		m.f("```\n\n")
	}
	if s.Interrupted {
		m.f("**Interrupted.**\n\n")
	}
	if len(s.Points) == 0 {
		return
	}
	admit := s.Points[0].Target == loadgen.TargetAdmit
	if admit {
		m.table([]string{"target", "POST/s median", "POST/s best", "CPU µs/POST median", "peak RSS MiB", "errors", "runs"}, admitPointRows(s.Points))
		m.f("Runs, in the order they ran:\n\n")
		m.table([]string{"run", "target", "POST/s", "latency p50 ms", "latency p99 ms", "errors", "CPU µs/POST", "peak RSS MiB", "flag"}, admitRunRows(s.Runs))
	} else {
		m.table([]string{"target", "tokens/s median", "tokens/s best", "× direct", "× direct (best)", "TTFT p50 ms median",
			"+ TTFT ms", "CPU µs/stream median", "peak RSS MiB", "errors", "runs"}, streamPointRows(s.Points))
		writeVsOrchd(m, s.Points)
		writeMachineCPU(m, s, mc)
		m.f("Runs, in the order they ran:\n\n")
		m.table([]string{"run", "target", "tokens/s", "streams/s", "TTFT p50 ms", "TTFT p99 ms", "latency p50 ms",
			"errors", "incomplete", "CPU µs/stream", "peak RSS MiB", "flag"}, streamRunRows(s.Runs))
	}
	samples := false
	for _, r := range s.Runs {
		for _, e := range r.ErrorSamples {
			m.f("- run %d %s: `%s`\n", r.Repeat, label(r.Target), strings.ReplaceAll(e, "`", "'"))
			samples = true
		}
	}
	if samples {
		m.f("\n")
	}
}

// writeVsOrchd compares the /v1 chat point with the /v2 one, when both ran.
func writeVsOrchd(m *mdWriter, ps []Point) {
	for _, p := range ps {
		if r := p.VsOrchd; r != nil {
			m.f("%s / orchestratord tokens/s: %s median, %s best; TTFT p50 %s median.\n\n", label(p.Target),
				fixed(r.TokensRatio, 2), fixed(r.TokensRatioBest, 2), signedMs(r.TTFTAddedMs))
		}
	}
}

func streamPointRows(ps []Point) [][]string {
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		ratio, ratioBest, added := "—", "—", "—"
		if p.VsDirect != nil {
			ratio, ratioBest = fixed(p.VsDirect.TokensRatio, 2), fixed(p.VsDirect.TokensRatioBest, 2)
			if p.Target != loadgen.TargetDirect {
				added = signed(p.VsDirect.TTFTAddedMs, 3)
			}
		}
		rows = append(rows, []string{label(p.Target) + flagMark(p.Flagged), grouped(p.TokensPerSec.Median), grouped(p.TokensPerSec.Best),
			ratio, ratioBest, fixed(p.TTFTP50Ms.Median, 3), added, cpuText(p.CPUMicrosPerRequest.Median), rssText(p.PeakRSSKiB),
			strconv.FormatInt(p.Errors, 10), strconv.Itoa(p.Runs)})
	}
	return rows
}

func streamRunRows(rs []RunResult) [][]string {
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, []string{strconv.Itoa(r.Repeat), label(r.Target), grouped(r.TokensPerSec), fixed(r.RequestsPerSec, 1),
			fixed(r.TTFTP50Ms, 3), fixed(r.TTFTP99Ms, 3), fixed(r.LatencyP50Ms, 3),
			strconv.FormatInt(r.Errors, 10), strconv.FormatInt(r.Incomplete, 10),
			cpuText(r.CPUMicrosPerRequest), rssText(r.PeakRSSKiB), flagCell(r.Flagged)})
	}
	return rows
}

func admitPointRows(ps []Point) [][]string {
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, []string{label(p.Target) + flagMark(p.Flagged), grouped(p.RequestsPerSec.Median), grouped(p.RequestsPerSec.Best),
			cpuText(p.CPUMicrosPerRequest.Median), rssText(p.PeakRSSKiB), strconv.FormatInt(p.Errors, 10), strconv.Itoa(p.Runs)})
	}
	return rows
}

func admitRunRows(rs []RunResult) [][]string {
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, []string{strconv.Itoa(r.Repeat), label(r.Target), grouped(r.RequestsPerSec),
			fixed(r.LatencyP50Ms, 3), fixed(r.LatencyP99Ms, 3), strconv.FormatInt(r.Errors, 10),
			cpuText(r.CPUMicrosPerRequest), rssText(r.PeakRSSKiB), flagCell(r.Flagged)})
	}
	return rows
}

// label names a target in the tables.
func label(t loadgen.Target) string {
	switch t {
	case loadgen.TargetOrchd:
		return "orchestratord"
	case loadgen.TargetAdmit:
		return "orchestratord admit"
	case loadgen.TargetOpenAI:
		return "openai (/v1 chat)"
	}
	return string(t)
}

func flagMark(f bool) string {
	if f {
		return " ⚑"
	}
	return ""
}

func flagCell(f bool) string {
	if f {
		return "⚑"
	}
	return ""
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func fixed(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func signed(v float64, prec int) string {
	if v >= 0 {
		return "+" + fixed(v, prec)
	}
	return fixed(v, prec)
}

func signedMs(v float64) string { return signed(v, 3) + " ms" }

func cpuText(us float64) string {
	if us <= 0 {
		return "—"
	}
	return fixed(us, 1)
}

func rssText(kib int64) string {
	if kib <= 0 {
		return "—"
	}
	return fixed(float64(kib)/1024, 1)
}

// msText writes a duration given in milliseconds the way Go would.
func msText(ms float64) string {
	if ms >= 1000 && math.Mod(ms, 1000) == 0 {
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(ms, 'f', -1, 64) + " ms"
}

// grouped rounds v and groups its digits by thousands: 123456.7 → "123,457".
func grouped(v float64) string {
	s := strconv.FormatInt(int64(math.Round(math.Abs(v))), 10)
	var b strings.Builder
	if v < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
