// Package meta answers the discovery routes: the build's version and the
// capabilities of the pools registered now (api.md §8).
package meta

import (
	"sort"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/buildinfo"
)

// Pools is the live pool view.
type Pools interface {
	Pools() []nodeapi.PoolView
}

// Service builds the discovery documents.
type Service struct{ pools Pools }

// New returns a Service over the registry.
func New(pools Pools) *Service { return &Service{pools: pools} }

// Version reports the build.
func (s *Service) Version() wire.Version {
	return wire.Version{
		APIVersion: wire.APIVersion, BuildCommit: buildinfo.Commit,
		BuildTime: buildinfo.Time, GoVersion: buildinfo.GoVersion(),
	}
}

// Capabilities aggregates the registered pools of online nodes by engine:
// the largest ctx_max, and concurrency as the sum of their slots. A pool
// whose node went offline is left out until the node heartbeats again.
func (s *Service) Capabilities() wire.Capabilities {
	byEngine := map[string]*wire.EngineCapability{}
	for _, p := range s.pools.Pools() {
		if !p.Online {
			continue
		}
		c := byEngine[p.Engine]
		if c == nil {
			c = &wire.EngineCapability{
				Engine:             wire.Engine(p.Engine),
				SupportedWorkloads: []wire.Workload{wire.WorkloadCompletion},
				Features:           features(p.Engine),
			}
			byEngine[p.Engine] = c
		}
		c.CtxMax = max(c.CtxMax, p.CtxMax)
		c.Concurrency += p.SlotsTotal
	}
	out := wire.Capabilities{APIVersion: wire.APIVersion, Engines: []wire.EngineCapability{}}
	for _, c := range byEngine {
		out.Engines = append(out.Engines, *c)
	}
	sort.Slice(out.Engines, func(i, j int) bool { return out.Engines[i].Engine < out.Engines[j].Engine })
	return out
}

// features lists what orchestratord offers on top of each engine kind.
func features(engine string) []string {
	f := []string{"streaming", "cancel", "seed", "stop"}
	if engine != nodeapi.EngineLlamaCPP {
		f = append(f, "chat")
	}
	return f
}
