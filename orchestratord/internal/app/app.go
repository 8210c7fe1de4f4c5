// Package app wires orchestratord together in one straight function and runs
// it: the registry and its static pools, the prober, the event hub, the
// stores, metrics, the task service and the HTTP server.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/placement"
	"github.com/orchestratord/orchestratord/libs/streaming"
	"github.com/orchestratord/orchestratord/orchestratord/internal/artifactsvc"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
	"github.com/orchestratord/orchestratord/orchestratord/internal/enginepool"
	"github.com/orchestratord/orchestratord/orchestratord/internal/httpapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/idgen"
	"github.com/orchestratord/orchestratord/orchestratord/internal/meta"
	"github.com/orchestratord/orchestratord/orchestratord/internal/openai"
	"github.com/orchestratord/orchestratord/orchestratord/internal/pools"
	"github.com/orchestratord/orchestratord/orchestratord/internal/probe"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

// transcriptSpoolBytes bounds the finished transcripts waiting to be
// written; past it, a finishing task keeps its slot until the store catches
// up (see tasks.Transcripts). One batch a linger (5 ms) at 3,000 transcripts
// a second is about 150 KB: 1 MiB leaves room for a slow fsync, and 4 MiB
// measured 7 MiB more peak RSS at 512 streams for no more throughput.
const transcriptSpoolBytes = 1 << 20

// transcriptLinger is how long the transcript writer lets a batch gather:
// nobody waits for the write itself, and one transaction for many
// transcripts rewrites each leaf page once.
const transcriptLinger = 5 * time.Millisecond

// staticNodeID names the node that holds the pools declared in the config.
const staticNodeID = "static"

// App is a wired daemon.
type App struct {
	cfg      config.Config
	log      zerolog.Logger
	registry *nodeapi.Registry
	hub      *streaming.Hub
	tasks    *tasks.Service
	prober   *probe.Prober
	engines  *enginepool.Set
	server   *httpapi.Server
	store    *artifacts.BoltStore
	spool    *artifacts.Spool
	metrics  *metrics.Metrics
	sessions *sessionParts
	catalog  *catalogParts
	pools    *pools.Service
}

// New validates cfg and wires every component.
func New(cfg config.Config, log zerolog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	policy, err := admission.ParsePolicy(cfg.Queue.Policy)
	if err != nil {
		return nil, err
	}
	strategy, err := placement.ParseStrategy(cfg.Placement.Strategy)
	if err != nil {
		return nil, err
	}
	ids := idgen.New(time.Now)
	registry := nodeapi.NewRegistry(config.Duration(cfg.Nodes.TimeoutMs))
	if len(cfg.Pools) > 0 {
		node := nodeapi.NodeSpec{NodeID: staticNodeID, Static: true}
		for _, p := range cfg.Pools {
			node.Pools = append(node.Pools, nodeapi.PoolSpec{
				PoolID: p.PoolID, Engine: p.Engine, URL: p.URL, Models: p.Models,
				SlotsTotal: p.SlotsTotal, CtxMax: p.CtxMax, DeviceMask: p.DeviceMask,
			})
		}
		if _, err := registry.Register(node); err != nil {
			return nil, fmt.Errorf("config: pools: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	store, err := artifacts.NewBoltStore(filepath.Join(cfg.DataDir, "artifacts.db"), artifacts.WithMaxBytes(int(cfg.Limits.ArtifactBytes)))
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	spool := artifacts.NewSpool(store, transcriptSpoolBytes, artifacts.WithLinger(transcriptLinger))
	cats, err := openCatalog(cfg)
	if err != nil {
		return nil, err
	}
	reg := metrics.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	m.SetNodesOnline(registry.Online()) // the static node; node events move it from here
	hub := streaming.NewHub(config.Duration(cfg.Events.RetentionMs))
	sess, err := openSessions(cfg, log)
	if err != nil {
		return nil, err
	}
	engines := enginepool.New()
	svc, err := tasks.New(tasks.Options{
		QueueCapacity: cfg.Queue.Capacity, QueuePolicy: policy,
		Retries: cfg.Dispatch.Retries, TokenTimeout: config.Duration(cfg.Dispatch.TokenTimeoutMs),
		Retention: config.Duration(cfg.Events.RetentionMs), MaxTokens: cfg.Limits.MaxTokens,
		MaxRetained: cfg.Events.MaxRetained,
	}, tasks.Deps{
		Events: hub, Pools: registry, Engines: engines, Transcripts: spool, Metrics: m,
		Log: log.With().Str("component", "tasks").Logger(), NewID: ids.Next,
		Placer: placement.New(strategy), Sessions: sess.store, Models: cats.gate,
	})
	if err != nil {
		return nil, err
	}
	if err := cats.startService(cfg, svc, m, log); err != nil {
		return nil, err
	}
	oai, err := openai.New(svc, cats.withoutRetired(readyPoolModels(registry)),
		openai.WithTokenLimit(cfg.Limits.MaxTokens), openai.WithKeepAlive(config.Duration(cfg.Events.KeepAliveMs)),
		openai.WithMetrics(m), openai.WithCatalogModels(cats.gate.ActiveModels))
	if err != nil {
		return nil, err
	}
	poolSvc, err := newPoolService(cfg, registry, svc, log)
	if err != nil {
		return nil, err
	}
	a := &App{
		cfg: cfg, log: log, registry: registry, hub: hub, tasks: svc, engines: engines, store: store, catalog: cats,
		spool:   spool,
		metrics: m, sessions: sess,
		pools:  poolSvc,
		prober: probe.New(registry, engines, config.Duration(cfg.Nodes.HeartbeatIntervalMs), log.With().Str("component", "probe").Logger()),
	}
	a.server = httpapi.New(httpapi.Deps{
		Tasks: svc, Sessions: svc, Pools: poolSvc, Artifacts: artifactsvc.New(store, time.Now), Catalog: cats.svc, Meta: meta.New(registry), OpenAI: oai,
		Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}), Ready: a.ready, Log: log, NewID: ids.Next,
		APIToken: cfg.APIToken, NodeToken: cfg.NodeToken, MetricsAuth: cfg.MetricsAuth,
		BodyLimit: cfg.Limits.BodyBytes, ArtifactLimit: cfg.Limits.ArtifactBytes,
		KeepAlive: config.Duration(cfg.Events.KeepAliveMs),
		Nodes:     registry, NodeObserver: nodeEvents{m: m, reg: registry},
		PoolMapper:        poolMapper(svc.Leases),
		HeartbeatInterval: config.Duration(cfg.Nodes.HeartbeatIntervalMs),
	})
	return a, nil
}

// ready is /readyz: the store is open and the service admits work.
func (a *App) ready() error {
	if a.tasks.Draining() {
		return errors.New("shutting down")
	}
	return nil
}

// Run serves on cfg.Addr until ctx is done, then shuts down gracefully
// (api.md §10). ready, when non-nil, receives the bound address.
func (a *App) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.cfg.Addr, err)
	}
	return a.Serve(ctx, ln, ready)
}

// Serve is Run on an existing listener.
func (a *App) Serve(ctx context.Context, ln net.Listener, ready func(addr string)) error {
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	a.tasks.Start()
	done := make(chan struct{}, 5) // one per background goroutine below
	go func() {
		a.sessions.store.Run(bg, min(max(a.sessions.store.TTL()/10, 10*time.Millisecond), time.Minute))
		done <- struct{}{}
	}()
	go func() {
		expireNodes(bg, a.registry, a.metrics, max(config.Duration(a.cfg.Nodes.TimeoutMs)/10, 10*time.Millisecond))
		done <- struct{}{}
	}()
	sweep := min(max(config.Duration(a.cfg.Events.RetentionMs)/4, 10*time.Millisecond), time.Minute)
	go func() { a.hub.Run(bg, sweep); done <- struct{}{} }()
	go func() {
		a.prober.Run(bg, func(v nodeapi.PoolView) bool { return v.NodeID == staticNodeID })
		done <- struct{}{}
	}()
	go func() { a.pools.Run(bg); done <- struct{}{} }()
	srv := &http.Server{
		Handler:           a.server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info().Str("addr", ln.Addr().String()).Int("static_pools", len(a.cfg.Pools)).Msg("orchestratord listening")
	if ready != nil {
		ready(ln.Addr().String())
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
	}
	a.log.Info().Msg("shutting down: no new tasks; running streams get the grace period")
	grace, cancel := context.WithTimeout(context.Background(), config.Duration(a.cfg.Shutdown.GraceMs))
	a.tasks.Shutdown(grace)
	cancel()
	// Every stream has its terminal frame now; readers return on their own.
	closeCtx, cancelClose := context.WithTimeout(context.Background(), 5*time.Second)
	if err := srv.Shutdown(closeCtx); err != nil {
		_ = srv.Close()
	}
	cancelClose()
	stopBG()
	for range cap(done) {
		<-done
	}
	a.engines.CloseIdle()
	spoolCtx, cancelSpool := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.spool.Close(spoolCtx); err != nil {
		a.log.Error().Err(err).Msg("transcripts still unwritten at exit")
	}
	cancelSpool()
	// Every task has ended and spent; the sweeper has stopped.
	sessCtx, cancelSess := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.sessions.close(sessCtx); err != nil && runErr == nil {
		runErr = err
	}
	cancelSess()
	if err := a.catalog.close(); err != nil && runErr == nil {
		runErr = err
	}
	if err := a.store.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close the artifact store: %w", err)
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	a.log.Info().Msg("orchestratord stopped")
	return runErr
}

// NewLogger builds the daemon's zerolog logger.
func NewLogger(w io.Writer, level, format string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Logger{}, err
	}
	if w == nil {
		w = os.Stderr
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}
