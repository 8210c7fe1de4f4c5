// Command relayproxy is the plain Go relay of the benchmarks as a process
// of its own: loadgen.ProxyHandler (httputil.ReverseProxy, flushing every
// write) in front of one engine. Its first line of output is
// "listening on http://<addr>"; SIGTERM or SIGINT stops it.
//
//	relayproxy --target http://127.0.0.1:8081 [--addr 127.0.0.1:0] [--conns 1024]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	target := fs.String("target", "", "engine base URL (required)")
	conns := fs.Int("conns", 1024, "kept-alive connections to the engine")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	u, err := url.Parse(*target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		fmt.Fprintf(stderr, "relayproxy: --target must be an absolute URL, got %q\n", *target)
		return 2
	}
	if *conns < 1 {
		fmt.Fprintln(stderr, "relayproxy: --conns must be at least 1")
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "relayproxy: %v\n", err)
		return 1
	}
	tr := loadgen.NewProxyTransport(*conns)
	defer tr.CloseIdleConnections()
	srv := &http.Server{Handler: loadgen.ProxyHandler(u, tr), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			_ = srv.Close()
		}
		return 0
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return 0
		}
		fmt.Fprintf(stderr, "relayproxy: %v\n", err)
		return 1
	}
}
