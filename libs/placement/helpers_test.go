package placement_test

import (
	"errors"

	"github.com/orchestratord/orchestratord/libs/placement"
)

// pool returns an eligible pool serving model "m" on engine "llamacpp" with
// one free slot of four, changed by the given edits.
func pool(id string, edits ...func(*placement.Pool)) placement.Pool {
	p := placement.Pool{
		ID: id, NodeID: "node-" + id, Engine: "llamacpp",
		Models: []string{"m"}, DeviceMask: "0", CtxMax: 8192,
		SlotsTotal: 4, SlotsFree: 1, Online: true, Ready: true,
	}
	for _, e := range edits {
		e(&p)
	}
	return p
}

func offline(p *placement.Pool)  { p.Online = false }
func notReady(p *placement.Pool) { p.Ready = false }
func draining(p *placement.Pool) { p.Draining = true }
func full(p *placement.Pool)     { p.SlotsFree = 0 }

func slots(n int) func(*placement.Pool)          { return func(p *placement.Pool) { p.SlotsFree = n } }
func queue(n int) func(*placement.Pool)          { return func(p *placement.Pool) { p.QueueDepth = n } }
func latencyMs(ms float64) func(*placement.Pool) { return func(p *placement.Pool) { p.LatencyMs = ms } }
func ctxMax(n int) func(*placement.Pool)         { return func(p *placement.Pool) { p.CtxMax = n } }
func engine(e string) func(*placement.Pool)      { return func(p *placement.Pool) { p.Engine = e } }
func mask(m string) func(*placement.Pool)        { return func(p *placement.Pool) { p.DeviceMask = m } }
func models(ms ...string) func(*placement.Pool) {
	return func(p *placement.Pool) { p.Models = ms }
}

// outcome is what a Place call returned, in comparable form.
type outcome struct {
	Pool   string
	Reason string
	Err    error
}

func place(p *placement.Placer, req placement.Request, pools []placement.Pool) outcome {
	d, err := p.Place(req, pools)
	return outcome{Pool: d.PoolID, Reason: d.Reason, Err: err}
}

func chose(id, reason string) outcome { return outcome{Pool: id, Reason: reason} }
func failed(err error) outcome        { return outcome{Err: err} }

// isErr reports whether err matches target with errors.Is.
func isErr(err, target error) bool { return errors.Is(err, target) }

// recovered runs fn and returns what it panicked with (nil when it did not).
func recovered(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}
