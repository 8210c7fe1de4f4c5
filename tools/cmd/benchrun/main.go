package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Bounds of the children and of one stream.
const (
	startTimeout   = 20 * time.Second
	readyTimeout   = 20 * time.Second
	stopGrace      = 5 * time.Second
	requestTimeout = 20 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args, os.Environ(), time.Now(), os.Stdout, os.Stderr))
}

// run parses argv (program name first), runs the session and prints its
// report; it returns the exit code: 0, 1 when a scenario could not measure
// everything or the session was interrupted, 2 on a usage error.
func run(ctx context.Context, argv, environ []string, now time.Time, stdout, stderr io.Writer) int {
	o, err := parseFlags(argv[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 2
	}
	res := Result{
		Machine: readMachine(now, os.ReadFile),
		Command: commandLine(argv),
		Settings: Settings{Bin: o.bin, DurationMs: msOf(o.duration), WarmupMs: msOf(o.warmup), Repeat: o.repeat,
			MaxTokens: maxTokens, EngineSlots: engineSlots, RetentionMs: o.retention.Milliseconds()},
	}
	d := &driver{
		procs:    procs{bin: o.bin, env: childEnv(environ), startTimeout: startTimeout, readyTimeout: readyTimeout},
		duration: o.duration, warmup: o.warmup, repeat: o.repeat, retention: o.retention,
		requestTimeout: requestTimeout, stopGrace: stopGrace, progress: stderr,
	}
	res.Scenarios, res.Interrupted = d.session(ctx, o.scenarios)

	code := 0
	if res.failed() {
		code = 1
	}
	var md bytes.Buffer
	if err := writeMarkdown(&md, res); err != nil {
		fmt.Fprintln(stderr, "benchrun: rendering the report:", err)
		return 1
	}
	if o.outFile != "" {
		if err := os.WriteFile(o.outFile, md.Bytes(), 0o644); err != nil {
			fmt.Fprintln(stderr, "benchrun:", err)
			code = 1
		}
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		_, err = stdout.Write(md.Bytes())
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	return code
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
