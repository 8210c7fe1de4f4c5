package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ErrUsage is wrapped by every command-line error.
var ErrUsage = errors.New("usage")

// Bounds of the flags: a session stays within minutes, not hours.
const (
	maxDuration  = 10 * time.Minute
	maxRepeat    = 10
	maxWarmup    = time.Minute
	maxRetention = 24 * time.Hour
)

// options are the parsed command line.
type options struct {
	bin       string
	duration  time.Duration
	repeat    int
	warmup    time.Duration
	retention time.Duration
	scenarios []scenario
	jsonOut   bool
	outFile   string
}

// parseFlags parses args (without the program name).
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.bin, "bin", "bin", "directory holding orchestratord and simengine")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of one measured run")
	fs.IntVar(&o.repeat, "repeat", 2, "measured runs per target and scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run per target before a scenario's first repeat (0: none)")
	fs.DurationVar(&o.retention, "retention", 2*time.Second,
		"orchestratord events.retention_ms: how long finished event logs stay in memory")
	names := fs.String("scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run: "+strings.Join(scenarioNames(), ", "))
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON instead of markdown")
	fs.StringVar(&o.outFile, "out", "", "also write the markdown report to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	var err error
	if o.scenarios, err = parseScenarios(*names); err != nil {
		return o, err
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.bin == "":
		return fmt.Errorf("%w: --bin must name a directory", ErrUsage)
	case o.duration <= 0 || o.duration > maxDuration:
		return fmt.Errorf("%w: --duration must be in (0, %v], got %v", ErrUsage, maxDuration, o.duration)
	case o.repeat < 1 || o.repeat > maxRepeat:
		return fmt.Errorf("%w: --repeat must be in [1, %d], got %d", ErrUsage, maxRepeat, o.repeat)
	case o.warmup < 0 || o.warmup > maxWarmup:
		return fmt.Errorf("%w: --warmup must be in [0, %v], got %v", ErrUsage, maxWarmup, o.warmup)
	case o.retention < time.Millisecond || o.retention > maxRetention:
		return fmt.Errorf("%w: --retention must be in [1ms, %v], got %v", ErrUsage, maxRetention, o.retention)
	}
	return nil
}

// parseScenarios reads a comma-separated list of scenario names; duplicates
// run once, in the order first named.
func parseScenarios(list string) ([]scenario, error) {
	var out []scenario
	var seen []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || slices.Contains(seen, name) {
			continue
		}
		s, ok := lookupScenario(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown scenario %q (want %s)", ErrUsage, name, strings.Join(scenarioNames(), ", "))
		}
		seen = append(seen, name)
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: --scenarios names no scenario", ErrUsage)
	}
	return out, nil
}
