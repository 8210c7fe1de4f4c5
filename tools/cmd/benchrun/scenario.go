package main

import (
	"time"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// Scenario names, in the order a default session runs them.
const (
	scenarioC1          = "c1"
	scenarioSaturated   = "saturated"
	scenarioUnsaturated = "unsaturated"
	scenarioLockstep    = "lockstep"
	scenarioRSS512      = "rss512"
	scenarioAdmit       = "admit"
)

// scenario is one point of the benchmark: its targets measured one after
// another, at one concurrency, against one engine process and one daemon.
type scenario struct {
	name        string
	title       string
	concurrency int
	// tokenDelay is the simulated engine's pause between tokens.
	tokenDelay time.Duration
	// stagger spreads the clients' first requests over this long (see
	// loadgen.Config.Stagger); 0 starts them together.
	stagger time.Duration
	// targets run in this order within each repeat.
	targets []loadgen.Target
	// throughput: the point is about tokens/s against direct; latency: about
	// TTFT added to direct's.
	throughput, latency bool
	// coresBusy: no pause between tokens and far more streams than cores,
	// so every core is busy and tokens/s follows the CPU a stream costs.
	coresBusy bool
}

// unsaturatedDelay is the engine's pause between tokens when the machine is
// not saturated.
const unsaturatedDelay = 5 * time.Millisecond

// streamTargets are the three relays every streaming scenario compares.
func streamTargets() []loadgen.Target {
	return []loadgen.Target{loadgen.TargetDirect, loadgen.TargetProxy, loadgen.TargetOrchd}
}

// scenarios is the catalogue, in the default order.
func scenarios() []scenario {
	return []scenario{
		{name: scenarioC1, title: "one stream at a time (latency)", concurrency: 1,
			targets: streamTargets(), throughput: true, latency: true},
		{name: scenarioSaturated, title: "256 concurrent streams, no delay between tokens", concurrency: 256,
			targets: append(streamTargets(), loadgen.TargetOpenAI), throughput: true, coresBusy: true},
		// Closed-loop clients of equally long streams that start together
		// stay in lockstep: every 320 ms all 64 arrive at once, and TTFT
		// measures the queue of that burst on two cores. Spread over one
		// stream's length, they arrive like independent users; lockstep
		// keeps the burst as a reference.
		{name: scenarioUnsaturated, title: "64 concurrent streams, 5 ms between tokens, arrivals spread over one stream (320 ms)",
			concurrency: 64, tokenDelay: unsaturatedDelay, stagger: maxTokens * unsaturatedDelay,
			targets: streamTargets(), latency: true},
		{name: scenarioLockstep, title: "64 concurrent streams, 5 ms between tokens, all clients starting together (bursts of 64)",
			concurrency: 64, tokenDelay: unsaturatedDelay, targets: streamTargets(), latency: true},
		{name: scenarioRSS512, title: "512 concurrent streams, no delay between tokens: CPU and RSS", concurrency: 512,
			targets: streamTargets(), throughput: true, coresBusy: true},
		{name: scenarioAdmit, title: "admission alone: POST /v2/tasks, every task stays queued", concurrency: 32,
			targets: []loadgen.Target{loadgen.TargetAdmit}},
	}
}

// scenarioNames lists the catalogue's names in order.
func scenarioNames() []string {
	all := scenarios()
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.name
	}
	return names
}

// lookupScenario finds a scenario of the catalogue by name.
func lookupScenario(name string) (scenario, bool) {
	for _, s := range scenarios() {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// needsEngine: the scenario streams from a simulated engine.
func (s scenario) needsEngine() bool {
	for _, t := range s.targets {
		if t != loadgen.TargetAdmit {
			return true
		}
	}
	return false
}

// daemonTarget: t is one of orchestratord's APIs.
func daemonTarget(t loadgen.Target) bool {
	return t == loadgen.TargetOrchd || t == loadgen.TargetAdmit || t == loadgen.TargetOpenAI
}

// needsDaemon: the scenario measures orchestratord.
func (s scenario) needsDaemon() bool {
	for _, t := range s.targets {
		if daemonTarget(t) {
			return true
		}
	}
	return false
}
