// Command orchestratord is the LLM inference orchestrator daemon.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // served only with --pprof-addr, on loopback
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/orchestratord/orchestratord/orchestratord/internal/app"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
	"github.com/orchestratord/orchestratord/orchestratord/internal/logsink"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run starts the daemon and returns the process exit code: 0 after a clean
// shutdown, 1 when serving failed, 2 for bad configuration.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "orchestratord:", err)
		return 2
	}
	sink := logsink.New(stderr, 64<<10, 50*time.Millisecond)
	defer sink.Close()
	log, err := app.NewLogger(sink, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(stderr, "orchestratord:", err)
		return 2
	}
	a, err := app.New(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "orchestratord:", err)
		return 2
	}
	if cfg.PprofAddr != "" {
		go func() {
			// net/http/pprof registers on http.DefaultServeMux.
			log.Warn().Err(http.ListenAndServe(cfg.PprofAddr, nil)).Msg("pprof endpoint stopped")
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = a.Run(ctx, func(addr string) { fmt.Fprintf(stdout, "listening on http://%s\n", addr) })
	if err != nil {
		log.Error().Err(err).Msg("orchestratord failed")
		return 1
	}
	return 0
}
