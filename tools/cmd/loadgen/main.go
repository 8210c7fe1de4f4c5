package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	cfg       loadgen.Config
	jsonOut   bool
	failOnErr bool
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	target := fs.String("target", string(loadgen.TargetDirect), "direct, proxy, orchd, admit or openai")
	fs.StringVar(&o.cfg.URL, "url", "", "engine base URL (direct, proxy) or orchestratord base URL (orchd, admit, openai)")
	fs.IntVar(&o.cfg.Concurrency, "c", 1, "concurrent closed-loop clients")
	fs.IntVar(&o.cfg.Concurrency, "concurrency", 1, "same as -c")
	fs.DurationVar(&o.cfg.Duration, "duration", 0, "stop issuing requests after this long (0: no time bound)")
	fs.IntVar(&o.cfg.Requests, "requests", 0, "stop after this many requests (0: no count bound)")
	fs.StringVar(&o.cfg.Model, "model", loadgen.DefaultModel, "model name / model_ref")
	fs.StringVar(&o.cfg.Prompt, "prompt", loadgen.DefaultPrompt, "prompt of every request")
	fs.IntVar(&o.cfg.MaxTokens, "max-tokens", loadgen.DefaultMaxTokens, "max_tokens of every request")
	fs.IntVar(&o.cfg.PID, "pid", 0, "report CPU per request and peak RSS of this process, the relay (0: none)")
	fs.IntVar(&o.cfg.EnginePID, "engine-pid", 0, "report CPU per request of this process, the engine (0: none)")
	fs.DurationVar(&o.cfg.Timeout, "timeout", loadgen.DefaultTimeout, "bound of one request, stream included")
	fs.DurationVar(&o.cfg.Stagger, "stagger", 0, "spread the clients' first requests evenly over this long (0: all at once)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&o.failOnErr, "fail-on-error", false, "exit 3 when a request failed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.cfg.Target = loadgen.Target(*target)
	o.cfg.Token = getenv("ORCHD_API_TOKEN")
	return o, nil
}

// run parses args, runs the load and prints the report; it returns the exit
// code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	rep, err := loadgen.Run(ctx, o.cfg)
	if errors.Is(err, loadgen.ErrInvalidConfig) {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	if o.failOnErr && rep.Errors > 0 {
		return 3
	}
	return 0
}
