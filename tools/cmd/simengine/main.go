package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/orchestratord/orchestratord/tools/simengine"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// cliOptions are the parsed command line.
type cliOptions struct {
	addr  string
	grace time.Duration
	opts  []simengine.Option
}

// modelList is a repeatable, comma-separated --model flag.
type modelList []string

func (m *modelList) String() string { return strings.Join(*m, ",") }

func (m *modelList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}

func parseFlags(args []string, stderr io.Writer) (cliOptions, error) {
	fs := flag.NewFlagSet("simengine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		out    cliOptions
		models modelList
		f      = simengine.Faults{DropAfter: -1, HangAfter: -1}
	)
	fs.StringVar(&out.addr, "addr", "127.0.0.1:0", "listen address")
	fs.DurationVar(&out.grace, "shutdown-grace", 5*time.Second, "time open streams get to finish on SIGTERM")
	fs.Var(&models, "model", "served model name; repeatable or comma-separated (default "+simengine.DefaultModel+")")
	slots := fs.Int("slots", simengine.DefaultSlots, "concurrent generations; further requests wait for a slot")
	tokenDelay := fs.Duration("token-delay", 0, "pause between tokens (0: as fast as possible)")
	firstDelay := fs.Duration("first-token-delay", 0, "pause before the first token (prompt processing)")
	nCtx := fs.Int("ctx", simengine.DefaultCtx, "context size per slot (n_ctx / max_model_len)")
	seed := fs.Uint64("seed", simengine.DefaultSeed, "seed for requests that carry none")
	loadTime := fs.Duration("load-time", 0, "answer 503 loading for this long after start")
	switchTime := fs.Duration("switch-time", 0, "how long loading a model through Ollama's /api/generate takes")
	flavor := fs.String("flavor", string(simengine.FlavorLlamaCpp), "what GET /health answers: llamacpp or vllm")
	eosAfter := fs.Int("eos-after", 0, "emit the end-of-generation token after N tokens (0: never)")
	fs.IntVar(&f.FailBeforeFirst, "fail-before-first", 0, "the next N requests answer 500 before any token (-1: all)")
	fs.IntVar(&f.DropAfter, "drop-after", -1, "cut the connection after k tokens (-1: off)")
	fs.IntVar(&f.DropCount, "drop-count", simengine.Every, "how many requests --drop-after applies to (-1: all)")
	fs.IntVar(&f.HangAfter, "hang-after", -1, "stop sending after k tokens until the client leaves (-1: off)")
	fs.IntVar(&f.HangCount, "hang-count", simengine.Every, "how many requests --hang-after applies to (-1: all)")
	fs.BoolVar(&f.Loading, "loading", false, "start in the loading state until cleared through POST /_sim/faults")
	if err := fs.Parse(args); err != nil {
		return out, err
	}
	if fs.NArg() > 0 {
		return out, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if len(models) == 0 {
		models = modelList{simengine.DefaultModel}
	}
	out.opts = []simengine.Option{
		simengine.WithModels(models...), simengine.WithSlots(*slots),
		simengine.WithTokenDelay(*tokenDelay), simengine.WithFirstTokenDelay(*firstDelay),
		simengine.WithCtx(*nCtx), simengine.WithSeed(*seed), simengine.WithLoadTime(*loadTime), simengine.WithSwitchTime(*switchTime),
		simengine.WithFlavor(simengine.Flavor(*flavor)), simengine.WithEOSAfter(*eosAfter),
		simengine.WithFaults(f),
	}
	return out, nil
}

// run parses args, listens and serves until ctx is done; it returns the exit
// code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cli, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "simengine:", err)
		return 2
	}
	srv, err := simengine.New(cli.opts...)
	if err != nil {
		fmt.Fprintln(stderr, "simengine:", err)
		return 2
	}
	ln, err := net.Listen("tcp", cli.addr)
	if err != nil {
		fmt.Fprintln(stderr, "simengine:", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ctx, ln, cli.grace); err != nil {
		fmt.Fprintln(stderr, "simengine:", err)
		return 1
	}
	return 0
}
