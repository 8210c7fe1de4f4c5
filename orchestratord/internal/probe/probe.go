// Package probe checks the engines of static pools (home profile) on an
// interval and reports their health and free slots to the registry, so that
// static and registered pools feed the same placement.
package probe

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// Registry receives probe results.
type Registry interface {
	Pools() []nodeapi.PoolView
	Report(poolID string, rep nodeapi.PoolReport) error
}

// Engines hands out a pool's engine client.
type Engines interface {
	Client(pool nodeapi.PoolView) (engine.Client, error)
}

// Prober probes the static pools of a registry.
type Prober struct {
	reg      Registry
	engines  Engines
	interval time.Duration
	timeout  time.Duration
	log      zerolog.Logger
}

// New returns a prober that probes every interval.
func New(reg Registry, engines Engines, interval time.Duration, log zerolog.Logger) *Prober {
	return &Prober{reg: reg, engines: engines, interval: interval, timeout: min(interval, 5*time.Second), log: log}
}

// Run probes at once, then on every interval, until ctx is done.
func (p *Prober) Run(ctx context.Context, static func(nodeapi.PoolView) bool) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.Once(ctx, static)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once probes every selected pool concurrently and reports the results.
func (p *Prober) Once(ctx context.Context, selected func(nodeapi.PoolView) bool) {
	var wg sync.WaitGroup
	for _, v := range p.reg.Pools() {
		if !selected(v) {
			continue
		}
		wg.Go(func() { p.probe(ctx, v) })
	}
	wg.Wait()
}

func (p *Prober) probe(ctx context.Context, v nodeapi.PoolView) {
	rep := nodeapi.PoolReport{PoolID: v.PoolID, SlotsFree: -1}
	client, err := p.engines.Client(v)
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, p.timeout)
		var h engine.Health
		h, err = client.Probe(ctx)
		cancel()
		if err == nil {
			rep.Ready = h.Ready
			rep.SlotsFree = h.SlotsFree
			rep.SlotsTotal = h.SlotsTotal
			rep.EngineVersion = h.Version
			if !h.Ready {
				rep.LastError = "engine is loading"
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		rep.LastError = "probe failed: " + err.Error()
	}
	was := v.Reported && v.Report.Ready
	if was != rep.Ready {
		p.log.Info().Str("pool_id", v.PoolID).Bool("ready", rep.Ready).Str("last_error", rep.LastError).Msg("pool readiness changed")
	}
	if err := p.reg.Report(v.PoolID, rep); err != nil {
		p.log.Warn().Err(err).Str("pool_id", v.PoolID).Msg("report probe result")
	}
}
