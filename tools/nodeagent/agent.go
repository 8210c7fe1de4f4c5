package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi/nodeclient"
)

// Clock is the agent's source of time: Now stamps heartbeats, After waits
// between them.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Log field names.
const (
	fieldNodeID   = "node_id"
	fieldPoolID   = "pool_id"
	fieldWait     = "wait_ms"
	fieldInterval = "interval_ms"
	fieldModel    = "model"
)

// Option configures an Agent.
type Option func(*Agent)

// WithClock sets the clock (default: the system clock).
func WithClock(c Clock) Option {
	return func(a *Agent) {
		if c != nil {
			a.clock = c
		}
	}
}

// WithRand sets the source of backoff jitter, a function returning values
// in [0, 1) (default: math/rand/v2.Float64).
func WithRand(f func() float64) Option {
	return func(a *Agent) {
		if f != nil {
			a.rand = f
		}
	}
}

// WithLogger sets the logger (default: disabled).
func WithLogger(l zerolog.Logger) Option {
	return func(a *Agent) { a.log = l.With().Str("component", "nodeagent").Logger() }
}

// WithHTTPClient sets the client used for the orchestrator and the engines
// (default: a client of its own; its idle connections are closed when Run
// returns).
func WithHTTPClient(hc *http.Client) Option {
	return func(a *Agent) {
		if hc != nil {
			a.hc = hc
		}
	}
}

// Agent registers the engines of one node and keeps their state current.
type Agent struct {
	cfg    Config
	clock  Clock
	rand   func() float64
	log    zerolog.Logger
	hc     *http.Client
	client *nodeclient.Client
	pools  []*pool
	byID   map[string]*pool
	kick   chan struct{} // a control action asks for a heartbeat now

	mu    sync.Mutex // guards the control state of every pool and opCtx
	opCtx context.Context
	ops   sync.WaitGroup // running reloads and purges
}

// New validates cfg and builds an agent; Run starts it.
func New(cfg Config, opts ...Option) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:   cfg.withDefaults(),
		clock: systemClock{},
		rand:  rand.Float64,
		log:   zerolog.Nop(),
		hc:    &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		byID:  make(map[string]*pool, len(cfg.Engines)),
		kick:  make(chan struct{}, 1),
		opCtx: context.Background(), // Run replaces it with its own
	}
	for _, o := range opts {
		o(a)
	}
	a.client = nodeclient.New(a.cfg.Orchestrator, a.cfg.Token, nodeclient.WithHTTPClient(a.hc),
		nodeclient.WithUserAgent("orchd-node-agent/"+a.cfg.Version))
	for _, spec := range a.cfg.Engines {
		p := newPool(spec, a.hc)
		a.pools = append(a.pools, p)
		a.byID[spec.PoolID] = p
	}
	return a, nil
}

// Run serves the control API on ln and runs the register/probe/heartbeat
// loop until ctx is done; then it stops the control API, waits for running
// reloads and purges (canceled), deregisters the node when the orchestrator
// may know it (bounded by the shutdown timeout), and returns nil. It
// returns an error only when serving ln failed. Run closes ln.
func (a *Agent) Run(ctx context.Context, ln net.Listener) error {
	address := a.cfg.Advertise
	if address == "" {
		address = "http://" + ln.Addr().String()
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	opCtx, cancelOps := context.WithCancel(ctx)
	a.mu.Lock()
	a.opCtx = opCtx
	a.mu.Unlock()

	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			stop(fmt.Errorf("nodeagent: control API: %w", err))
		}
		served <- err
	}()

	mayBeRegistered := a.loop(ctx, address)

	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	_ = srv.Shutdown(done)
	cancelOps()
	a.ops.Wait()
	if mayBeRegistered {
		switch err := a.client.Deregister(done, a.cfg.NodeID); {
		case err == nil:
			a.log.Info().Str(fieldNodeID, a.cfg.NodeID).Msg("deregistered")
		case errors.Is(err, nodeclient.ErrUnknownNode):
			a.log.Info().Str(fieldNodeID, a.cfg.NodeID).Msg("the orchestrator did not know this node")
		default:
			a.log.Warn().Err(err).Str(fieldNodeID, a.cfg.NodeID).Msg("deregister failed")
		}
	}
	a.hc.CloseIdleConnections()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("nodeagent: control API: %w", err)
	}
	return nil
}

// session is what the loop knows about its registration.
type session struct {
	registered bool                    // the last registration succeeded and no heartbeat failed since
	attempted  bool                    // a registration was sent: the orchestrator may know the node
	sent       []wire.PoolRegistration // the pools of the last registration sent
}

// loop probes, registers when needed and heartbeats, once per interval,
// until ctx is done. It reports whether the orchestrator may know the node.
func (a *Agent) loop(ctx context.Context, address string) (mayBeRegistered bool) {
	bo := backoff{base: a.cfg.BackoffBase, max: a.cfg.BackoffMax, rand: a.rand}
	interval := a.cfg.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	var s session
	for {
		results := a.probeAll(ctx)
		if ctx.Err() != nil {
			return s.attempted
		}
		next, err := a.report(ctx, address, results, &s)
		var wait <-chan time.Time
		var kick <-chan struct{}
		if err != nil {
			s.registered = false // register first when the orchestrator answers again
			d := bo.next()
			if ctx.Err() == nil {
				a.log.Warn().Err(err).Int64(fieldWait, d.Milliseconds()).Msg("orchestrator unreachable; backing off")
			}
			wait = a.clock.After(d)
		} else {
			bo.reset()
			if a.cfg.Interval <= 0 && next > 0 {
				interval = next
			}
			wait, kick = a.clock.After(interval), a.kick
		}
		select {
		case <-ctx.Done():
			return s.attempted
		case <-wait:
		case <-kick:
		}
	}
}

// report registers the node when it is not registered, then heartbeats; a
// heartbeat refused with 404 (the orchestrator forgot the node) registers
// again at once. It returns the interval the orchestrator asked for.
func (a *Agent) report(ctx context.Context, address string, results []probeResult, s *session) (time.Duration, error) {
	var next time.Duration
	pools := a.registrations(results, s.sent)
	if s.registered && !sameRegistrations(pools, s.sent) {
		s.registered = false
		a.log.Info().Str(fieldNodeID, a.cfg.NodeID).Msg("an engine's slots, context or models changed; registering again")
	}
	if !s.registered {
		d, err := a.register(ctx, address, pools, s)
		if err != nil {
			return 0, err
		}
		next = d
	}
	d, err := a.heartbeat(ctx, results)
	if errors.Is(err, nodeclient.ErrUnknownNode) {
		s.registered = false
		a.log.Info().Str(fieldNodeID, a.cfg.NodeID).Msg("orchestrator does not know this node; registering again")
		if next, err = a.register(ctx, address, pools, s); err != nil {
			return 0, err
		}
		d, err = a.heartbeat(ctx, results)
	}
	if err != nil {
		return 0, err
	}
	if d > 0 {
		next = d
	}
	return next, nil
}

// registrations renders every pool for a registration; prev is the last one
// sent (nil before the first).
func (a *Agent) registrations(results []probeResult, prev []wire.PoolRegistration) []wire.PoolRegistration {
	out := make([]wire.PoolRegistration, len(a.pools))
	for i, p := range a.pools {
		var last *wire.PoolRegistration
		if i < len(prev) {
			last = &prev[i]
		}
		out[i] = p.registration(results[i], last)
	}
	return out
}

// register sends the registration and records it in s.
func (a *Agent) register(ctx context.Context, address string, pools []wire.PoolRegistration, s *session) (time.Duration, error) {
	req := wire.NodeRegisterRequest{
		NodeID:    a.cfg.NodeID,
		MachineID: a.cfg.MachineID,
		Address:   address,
		Version:   a.cfg.Version,
		Capabilities: wire.NodeCapabilities{
			CPUCores: a.cfg.CPUCores,
		},
		Pools: pools,
	}
	if req.Capabilities.CPUCores <= 0 {
		req.Capabilities.CPUCores = runtime.NumCPU()
	}
	for _, g := range a.cfg.GPUs {
		req.Capabilities.GPUs = append(req.Capabilities.GPUs, wire.GPU{Index: g.Index, Name: g.Name, VRAMTotalBytes: g.VRAMTotalBytes})
	}
	rctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	resp, err := a.client.Register(rctx, req)
	if !refused(err) {
		s.attempted = true
	}
	if err != nil {
		return 0, fmt.Errorf("register: %w", err)
	}
	s.registered, s.sent = true, pools
	a.log.Info().Str(fieldNodeID, a.cfg.NodeID).Int64(fieldInterval, resp.HeartbeatIntervalMs).Msg("registered")
	return time.Duration(resp.HeartbeatIntervalMs) * time.Millisecond, nil
}

func (a *Agent) heartbeat(ctx context.Context, results []probeResult) (time.Duration, error) {
	req := wire.HeartbeatRequest{TimestampMs: a.clock.Now().UnixMilli(), Pools: make([]wire.PoolHeartbeat, len(a.pools))}
	a.mu.Lock()
	for i, p := range a.pools {
		req.Pools[i] = p.heartbeat(results[i])
	}
	a.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	resp, err := a.client.Heartbeat(rctx, a.cfg.NodeID, req)
	if err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	return time.Duration(resp.NextHeartbeatMs) * time.Millisecond, nil
}

// refused reports whether err is a failure to connect: the request never
// reached the orchestrator.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// probeAll probes every engine at once, each bounded by the probe timeout.
func (a *Agent) probeAll(ctx context.Context) []probeResult {
	out := make([]probeResult, len(a.pools))
	var wg sync.WaitGroup
	for i, p := range a.pools {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, a.cfg.ProbeTimeout)
			defer cancel()
			h, err := p.probe.Probe(pctx)
			out[i] = probeResult{health: h, err: err}
		})
	}
	wg.Wait()
	return out
}

// poke asks the loop for a heartbeat now (a control action changed state).
func (a *Agent) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// backoff is capped exponential backoff with equal jitter: attempt n waits
// between half and all of min(max, base·2ⁿ).
type backoff struct {
	base, max time.Duration
	rand      func() float64
	attempt   int
}

func (b *backoff) next() time.Duration {
	d := b.base
	for i := 0; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	if d < b.max {
		b.attempt++
	}
	half := d / 2
	return half + time.Duration(b.rand()*float64(d-half))
}

func (b *backoff) reset() { b.attempt = 0 }
