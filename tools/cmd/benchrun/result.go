package main

import (
	"github.com/orchestratord/orchestratord/tools/loadgen"
)

// Result is one whole benchmark session; it is what --json prints.
type Result struct {
	Machine  Machine  `json:"machine"`
	Command  string   `json:"command"`
	Settings Settings `json:"settings"`
	// Interrupted: SIGINT or SIGTERM stopped the session early.
	Interrupted bool             `json:"interrupted"`
	Scenarios   []ScenarioResult `json:"scenarios"`
}

// Settings are the knobs every scenario shares.
type Settings struct {
	Bin         string  `json:"bin"`
	DurationMs  float64 `json:"duration_ms"`
	WarmupMs    float64 `json:"warmup_ms"`
	Repeat      int     `json:"repeat"`
	MaxTokens   int     `json:"max_tokens"`
	EngineSlots int     `json:"engine_slots"`
	RetentionMs int64   `json:"retention_ms"`
}

// ScenarioResult is one scenario: its runs in the order they ran, and one
// point per target.
type ScenarioResult struct {
	Name         string  `json:"name"`
	Title        string  `json:"title"`
	Concurrency  int     `json:"concurrency"`
	TokenDelayMs float64 `json:"token_delay_ms"`
	// DaemonConfig is the YAML orchestratord ran with.
	DaemonConfig string      `json:"daemon_config,omitempty"`
	Runs         []RunResult `json:"runs"`
	Points       []Point     `json:"points"`
	// Errors are what kept a target or the scenario from running.
	Errors      []string `json:"errors,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// RunResult is one measured run of one target.
type RunResult struct {
	// Repeat counts from 1.
	Repeat int `json:"repeat"`
	// Flagged: the run had errors or incomplete streams, completed nothing,
	// or was interrupted.
	Flagged bool `json:"flagged"`
	loadgen.Report
}

// Point sums up the runs of one target in one scenario. Runs that completed
// no request are left out of the figures (they are flagged).
type Point struct {
	Target loadgen.Target `json:"target"`
	Runs   int            `json:"runs"`
	// Flagged: at least one of its runs is flagged.
	Flagged        bool  `json:"flagged"`
	Errors         int64 `json:"errors"`
	Incomplete     int64 `json:"incomplete"`
	TokensPerSec   Stat  `json:"tokens_per_sec"`
	RequestsPerSec Stat  `json:"requests_per_sec"`
	TTFTP50Ms      Stat  `json:"ttft_p50_ms"`
	// CPUMicrosPerRequest and PeakRSSKiB are the relay's: orchestratord's
	// (orchd, admit and openai) or the proxy's; none for direct.
	CPUMicrosPerRequest Stat  `json:"cpu_us_per_request"`
	PeakRSSKiB          int64 `json:"peak_rss_kib,omitempty"`
	// EngineCPUMicrosPerRequest is the simulated engine's process (none
	// for admit), ClientCPUMicrosPerRequest benchrun's own, where the
	// clients run: with the relay's, where the machine's cores go.
	EngineCPUMicrosPerRequest Stat `json:"engine_cpu_us_per_request"`
	ClientCPUMicrosPerRequest Stat `json:"client_cpu_us_per_request"`
	// VsDirect compares the point with the direct one of its scenario.
	VsDirect *Relative `json:"vs_direct,omitempty"`
	// VsOrchd compares the openai point (/v1/chat/completions) with the
	// orchd one (/v2/tasks) of its scenario; nil for the other targets.
	VsOrchd *Relative `json:"vs_orchd,omitempty"`
}

// Stat is a figure over the runs of a point: the best one (highest rate,
// lowest time or CPU) and the median.
type Stat struct {
	Best   float64 `json:"best"`
	Median float64 `json:"median"`
}

// Relative compares a target with a base: the engine reached directly
// (VsDirect) or orchestratord's /v2 (VsOrchd).
type Relative struct {
	// TokensRatio is median tokens/s over the base's median;
	// TokensRatioBest is best over best.
	TokensRatio     float64 `json:"tokens_ratio"`
	TokensRatioBest float64 `json:"tokens_ratio_best"`
	// TTFTAddedMs is the median TTFT p50 minus the base's; TTFTAddedBestMs
	// the best minus the best.
	TTFTAddedMs     float64 `json:"ttft_added_ms"`
	TTFTAddedBestMs float64 `json:"ttft_added_best_ms"`
}

// point returns the point of target, if the scenario has one.
func (s ScenarioResult) point(target loadgen.Target) (Point, bool) {
	for _, p := range s.Points {
		if p.Target == target {
			return p, true
		}
	}
	return Point{}, false
}

// failed says whether something kept the session from measuring what it
// was asked to.
func (r Result) failed() bool {
	if r.Interrupted {
		return true
	}
	for _, s := range r.Scenarios {
		if len(s.Errors) > 0 || s.Interrupted {
			return true
		}
	}
	return false
}
