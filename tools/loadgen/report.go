package loadgen

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Target      Target `json:"target"`
	Concurrency int    `json:"concurrency"`
	// Interrupted: the run was stopped from outside before its bounds.
	Interrupted bool    `json:"interrupted"`
	ElapsedMs   float64 `json:"elapsed_ms"`
	// Requests counts the requests that completed: a whole stream with its
	// terminal frame, or a 202 for admit.
	Requests int64 `json:"requests"`
	// Errors counts the requests that failed, incomplete streams included.
	Errors     int64 `json:"errors"`
	Incomplete int64 `json:"incomplete"`
	// Tokens counts the tokens received (usage or tokens_out when the stream
	// reports it, else token frames), failed streams included.
	Tokens         int64   `json:"tokens"`
	RequestsPerSec float64 `json:"requests_per_sec"`
	TokensPerSec   float64 `json:"tokens_per_sec"`
	// TTFT is from sending the request (POST /v2/tasks for orchd) to the
	// first token, over completed requests.
	TTFTP50Ms float64 `json:"ttft_p50_ms"`
	TTFTP99Ms float64 `json:"ttft_p99_ms"`
	// Latency is the whole request, stream included.
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
	// The process figures, when a PID was given.
	PID                 int     `json:"pid,omitempty"`
	CPUMs               float64 `json:"cpu_ms,omitempty"`
	CPUMicrosPerRequest float64 `json:"cpu_us_per_request,omitempty"`
	PeakRSSKiB          int64   `json:"peak_rss_kib,omitempty"`
	// ClientCPUMs is the CPU time of the load generator's own process over
	// the run, where /proc/self/stat is readable: the clients', and with
	// target proxy the in-process proxy's too. Run from benchrun it is
	// benchrun's process, where the clients run.
	ClientCPUMs               float64 `json:"client_cpu_ms"`
	ClientCPUMicrosPerRequest float64 `json:"client_cpu_us_per_request"`
	// The engine's process figures, when an EnginePID was given.
	EnginePID                 int      `json:"engine_pid,omitempty"`
	EngineCPUMs               float64  `json:"engine_cpu_ms,omitempty"`
	EngineCPUMicrosPerRequest float64  `json:"engine_cpu_us_per_request,omitempty"`
	ErrorSamples              []string `json:"error_samples,omitempty"`
}

func newReport(cfg Config, elapsed time.Duration, tallies []tally) Report {
	r := Report{Target: cfg.Target, Concurrency: cfg.Concurrency, ElapsedMs: msOf(elapsed)}
	var ttft, latency []time.Duration
	for _, t := range tallies {
		r.Requests += t.ok
		r.Errors += t.errors
		r.Incomplete += t.incomplete
		r.Tokens += t.tokens
		ttft = append(ttft, t.ttft...)
		latency = append(latency, t.latency...)
		for _, s := range t.samples {
			if len(r.ErrorSamples) < maxErrorSamples && !slices.Contains(r.ErrorSamples, s) {
				r.ErrorSamples = append(r.ErrorSamples, s)
			}
		}
	}
	if secs := elapsed.Seconds(); secs > 0 {
		r.RequestsPerSec = float64(r.Requests) / secs
		r.TokensPerSec = float64(r.Tokens) / secs
	}
	r.TTFTP50Ms, r.TTFTP99Ms = percentileMs(ttft, 50), percentileMs(ttft, 99)
	r.LatencyP50Ms, r.LatencyP99Ms = percentileMs(latency, 50), percentileMs(latency, 99)
	return r
}

// addProcess adds the CPU time pid spent on c's clock and its peak RSS.
func (r *Report) addProcess(c cpuClock) error {
	ms, err := c.elapsedMs()
	if err != nil {
		return err
	}
	rss, err := peakRSSKiB(c.pid)
	if err != nil {
		return err
	}
	r.PID, r.CPUMs, r.CPUMicrosPerRequest, r.PeakRSSKiB = c.pid, ms, perRequestMicros(ms, r.Requests), rss
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// percentileMs is the nearest-rank percentile p of ds, in milliseconds.
func percentileMs(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := (p*len(ds) + 99) / 100 // ceil(p/100 * n)
	return msOf(ds[max(rank, 1)-1])
}

func isIncomplete(err error) bool { return errors.Is(err, ErrIncomplete) }

// WriteText writes the report for humans.
func (r Report) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "target=%s concurrency=%d elapsed=%.2fs%s\n"+
		"requests=%d (%.1f/s) errors=%d incomplete=%d\n"+
		"tokens=%d (%.1f/s)\n"+
		"ttft p50=%.3fms p99=%.3fms  latency p50=%.3fms p99=%.3fms\n",
		r.Target, r.Concurrency, r.ElapsedMs/1e3, interrupted(r.Interrupted),
		r.Requests, r.RequestsPerSec, r.Errors, r.Incomplete,
		r.Tokens, r.TokensPerSec,
		r.TTFTP50Ms, r.TTFTP99Ms, r.LatencyP50Ms, r.LatencyP99Ms)
	if err != nil {
		return err
	}
	if r.PID > 0 {
		if _, err := fmt.Fprintf(w, "pid %d: cpu=%.1fms (%.1fµs/request) peak_rss=%.1fMiB\n",
			r.PID, r.CPUMs, r.CPUMicrosPerRequest, float64(r.PeakRSSKiB)/1024); err != nil {
			return err
		}
	}
	if r.EnginePID > 0 {
		if _, err := fmt.Fprintf(w, "engine pid %d: cpu=%.1fms (%.1fµs/request)\n",
			r.EnginePID, r.EngineCPUMs, r.EngineCPUMicrosPerRequest); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(w, "client (this process): cpu=%.1fms (%.1fµs/request)\n",
		r.ClientCPUMs, r.ClientCPUMicrosPerRequest); err != nil {
		return err
	}
	for _, s := range r.ErrorSamples {
		if _, err := fmt.Fprintf(w, "error: %s\n", s); err != nil {
			return err
		}
	}
	return nil
}

func interrupted(v bool) string {
	if v {
		return " (interrupted)"
	}
	return ""
}
