package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// machine is what the CPU table needs of the session: the cores every
// process shares and the tokens of a stream.
type machine struct {
	nproc, maxTokens int
}

// streamCPU is the median CPU per stream of each process a target puts to
// work, in µs; 0 where a process was not measured.
type streamCPU struct {
	target                loadgen.Target
	engine, relay, client float64
	// ratio is the measured median tokens/s over direct's; 0 without one.
	ratio float64
}

func newStreamCPU(p Point) streamCPU {
	c := streamCPU{target: p.Target, engine: p.EngineCPUMicrosPerRequest.Median,
		relay: p.CPUMicrosPerRequest.Median, client: p.ClientCPUMicrosPerRequest.Median}
	if p.VsDirect != nil {
		c.ratio = p.VsDirect.TokensRatio
	}
	return c
}

// total is the CPU of a stream on the whole machine, and false when a
// process it needs was not measured (direct has no relay).
func (c streamCPU) total() (float64, bool) {
	relayOK := c.relay > 0 || c.target == loadgen.TargetDirect
	return c.engine + c.relay + c.client, c.engine > 0 && c.client > 0 && relayOK
}

// writeMachineCPU writes, for a throughput scenario where the engine was
// measured, where the machine's cores go per stream; for a scenario that
// keeps every core busy, also what the totals predict.
func writeMachineCPU(m *mdWriter, s ScenarioResult, mc machine) {
	sc, ok := lookupScenario(s.Name)
	if !ok || !sc.throughput {
		return
	}
	var rows [][]string
	var cpus []streamCPU
	for _, p := range s.Points {
		c := newStreamCPU(p)
		if c.engine <= 0 {
			continue
		}
		cpus = append(cpus, c)
		total := "—"
		if t, ok := c.total(); ok {
			total = fixed(t, 1)
		}
		rows = append(rows, []string{label(p.Target), cpuText(c.engine), cpuText(c.relay), cpuText(c.client), total})
	}
	if len(rows) == 0 {
		return
	}
	m.f("CPU per stream on the machine (µs, median):\n\n")
	m.table([]string{"target", "engine", "relay", "client", "total"}, rows)
	if sc.coresBusy {
		if line := prediction(cpus, mc); line != "" {
			m.f("%s\n\n", line)
		}
	}
}

// prediction says what the totals predict when every core is busy:
// tokens/s ∝ 1/total, against direct and in absolute terms; "" without a
// direct total to compare with.
func prediction(cpus []streamCPU, mc machine) string {
	var direct float64
	for _, c := range cpus {
		if t, ok := c.total(); ok && c.target == loadgen.TargetDirect {
			direct = t
		}
	}
	if direct <= 0 {
		return ""
	}
	var predicted, ceiling []string
	for _, c := range cpus {
		t, ok := c.total()
		if !ok {
			continue
		}
		ceiling = append(ceiling, label(c.target)+" "+grouped(math.Round(float64(mc.nproc*mc.maxTokens)*1e3/t)*1e3))
		if c.target != loadgen.TargetDirect {
			predicted = append(predicted, fmt.Sprintf("%s %s (%s)", label(c.target), fixed(direct/t, 2), fixed(c.ratio, 2)))
		}
	}
	var b strings.Builder
	b.WriteString("With every core busy, tokens/s ∝ 1/total.")
	if len(predicted) > 0 {
		b.WriteString(" × direct the totals predict (measured): " + strings.Join(predicted, ", ") + ".")
	}
	fmt.Fprintf(&b, " Tokens/s if the %d cores did nothing else (%d × 10⁶ / total × %d): %s.",
		mc.nproc, mc.nproc, mc.maxTokens, strings.Join(ceiling, ", "))
	return b.String()
}
