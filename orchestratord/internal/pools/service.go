// Package pools is pool control (api.md §5 "Pool control") and the live
// model availability (api.md §6): it lists pools with their state, reports a
// pool's health, and drains, reloads and purges pools — forwarding the
// action to the pool's node agent when the node registered a control
// address, and carrying it out itself for the static pools of the config.
// The orchestrator's own hold on a pool (a drain, a running reload, the last
// control failure) lives in the registry (nodeapi.Control), so placement
// sees it at once.
package pools

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Registry is the live view of pools and nodes, and where the service keeps
// its control state.
type Registry interface {
	Pools() []nodeapi.PoolView
	Pool(id string) (nodeapi.PoolView, bool)
	Node(id string) (nodeapi.NodeView, bool)
	UpdateControl(poolID string, f func(*nodeapi.Control)) (nodeapi.Control, error)
	Subscribe() (<-chan struct{}, func())
}

// Tasks is what pool control needs from the task service.
type Tasks interface {
	Leases(poolID string) int
	QueuedFor(engine string, models []string) int
	TokensPerS(poolID string) float64
	CancelOnPool(poolID string) int
}

// Agents sends a control call to a node agent.
type Agents interface {
	// Send posts body as JSON to {address}/v2/pools/{poolID}/{action};
	// nil when the agent accepted it (2xx), an *AgentError when it refused.
	Send(ctx context.Context, address, poolID, action string, body any) error
}

// Mapper renders a pool of the registry for GET /v2/pools (with the
// service's leases; static pools without a node id).
type Mapper func(nodeapi.PoolView) wire.Pool

// Defaults of the options.
const (
	DefaultCallTimeout = 5 * time.Second
	DefaultReloadWait  = 10 * time.Minute
	DefaultPollEvery   = 20 * time.Millisecond
)

// Options are the service's tunables; zero values take the defaults.
type Options struct {
	CallTimeout time.Duration // bound on one call to a node agent
	ReloadWait  time.Duration // bound on waiting for an agent's reload outcome
	PollEvery   time.Duration // how often a reload checks leases and reports
}

// Deps are the service's collaborators; all are required but Log.
type Deps struct {
	Registry Registry
	Tasks    Tasks
	Agents   Agents
	Mapper   Mapper
	Log      zerolog.Logger
}

// Service is pool control.
type Service struct {
	opt  Options
	deps Deps

	mu     sync.Mutex
	drains map[string]*time.Timer // pool → pending drain deadline
	closed bool

	ops    sync.WaitGroup // reloads and drain deadlines in flight
	opCtx  context.Context
	stopOp context.CancelFunc
}

// New validates deps and returns a service; Run runs its background work.
func New(opt Options, deps Deps) (*Service, error) {
	switch {
	case deps.Registry == nil, deps.Tasks == nil, deps.Agents == nil, deps.Mapper == nil:
		return nil, errors.New("pools: registry, tasks, agents and mapper are required")
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = DefaultCallTimeout
	}
	if opt.ReloadWait <= 0 {
		opt.ReloadWait = DefaultReloadWait
	}
	if opt.PollEvery <= 0 {
		opt.PollEvery = DefaultPollEvery
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{opt: opt, deps: deps, drains: map[string]*time.Timer{}, opCtx: ctx, stopOp: cancel}, nil
}

// Run waits until ctx is done; then it stops pending drain deadlines,
// cancels running reloads and returns once they have returned. (The pool
// gauges of api.md §8 move with the task service's leases and the
// registry's changes, not here.)
func (s *Service) Run(ctx context.Context) {
	<-ctx.Done()
	s.close()
}

func (s *Service) close() {
	s.mu.Lock()
	s.closed = true
	for id, t := range s.drains {
		if t.Stop() {
			s.ops.Done()
		}
		delete(s.drains, id)
	}
	s.mu.Unlock()
	s.stopOp()
	s.ops.Wait()
}

// List is GET /v2/pools: every pool, static and registered, by id.
func (s *Service) List(context.Context) ([]wire.Pool, error) {
	views := s.deps.Registry.Pools()
	out := make([]wire.Pool, len(views))
	for i, v := range views {
		out[i] = s.deps.Mapper(v)
	}
	return out, nil
}

// Health is GET /v2/pools/{id}/health.
func (s *Service) Health(_ context.Context, id string) (wire.PoolHealth, error) {
	v, err := s.pool(id)
	if err != nil {
		return wire.PoolHealth{}, err
	}
	p := s.deps.Mapper(v)
	return wire.PoolHealth{
		Live: p.Live, Ready: p.Ready, Draining: p.Draining, LastError: p.LastError,
		Metrics: wire.PoolHealthMetrics{
			SlotsTotal: p.SlotsTotal, SlotsFree: p.SlotsFree, ActiveLeases: p.ActiveLeases,
			QueueDepth: s.deps.Tasks.QueuedFor(v.Engine, p.Models),
			TokensPerS: s.deps.Tasks.TokensPerS(v.PoolID),
		},
	}, nil
}

// Availability is GET /v2/catalog/availability: for every model a pool
// serves now (the models it reports, else those it registered), the pools
// that have it. A pool is ready there when it can take work: live, ready
// and not draining. Models and pools are sorted by id.
func (s *Service) Availability(context.Context) ([]wire.Availability, error) {
	byModel := map[string][]wire.AvailabilityPool{}
	for _, v := range s.deps.Registry.Pools() {
		p := s.deps.Mapper(v)
		for _, m := range p.Models {
			byModel[m] = append(byModel[m], wire.AvailabilityPool{
				PoolID: p.PoolID, NodeID: p.NodeID, Ready: p.Live && p.Ready && !p.Draining, SlotsFree: p.SlotsFree,
			})
		}
	}
	out := make([]wire.Availability, 0, len(byModel))
	for m, pools := range byModel {
		out = append(out, wire.Availability{ModelID: m, Pools: pools})
	}
	slices.SortFunc(out, func(a, b wire.Availability) int { return strings.Compare(a.ModelID, b.ModelID) })
	return out, nil
}

// pool looks a pool up; 404 when unknown.
func (s *Service) pool(id string) (nodeapi.PoolView, error) {
	v, ok := s.deps.Registry.Pool(id)
	if !ok {
		return nodeapi.PoolView{}, problem.New(wire.CodeNotFound, "pool %s not found", id)
	}
	return v, nil
}
