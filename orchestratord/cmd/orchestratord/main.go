// Command orchestratord is the LLM inference orchestrator daemon.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/orchestratord/orchestratord/orchestratord/internal/app"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
)

func main() {
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orchestratord:", err)
		os.Exit(2)
	}
	log, err := app.NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orchestratord:", err)
		os.Exit(2)
	}
	a, err := app.New(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "orchestratord:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = a.Run(ctx, func(addr string) {
		fmt.Printf("listening on http://%s\n", addr)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "orchestratord:", err)
		os.Exit(1)
	}
}
