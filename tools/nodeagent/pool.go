package nodeagent

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/llamacpp"
	"github.com/orchestratord/orchestratord/libs/engine/ollama"
	"github.com/orchestratord/orchestratord/libs/engine/openaicompat"
)

// Bounds of what a heartbeat may carry (the orchestrator refuses more).
const (
	maxModels     = 1024
	maxVersionLen = 256
	maxErrorLen   = 4096
)

// prober reads an engine's health and load.
type prober interface {
	Probe(ctx context.Context) (engine.Health, error)
}

// pool is one engine served as a pool. spec, probe and ollama never change;
// the control state is guarded by Agent.mu.
type pool struct {
	spec   EngineSpec
	probe  prober
	ollama *ollamaClient // control of Ollama's models; nil unless the engine is Ollama

	draining  bool
	reloading bool
	purging   bool
	lastError string // outcome of the last failed drain, reload or purge
	model     string // Ollama: the model the last reload loaded
}

// probeResult is one probe of one pool.
type probeResult struct {
	health engine.Health
	err    error
}

func newPool(spec EngineSpec, hc *http.Client) *pool {
	p := &pool{spec: spec}
	switch spec.Engine {
	case string(wire.EngineLlamaCpp):
		p.probe = llamacpp.New(spec.URL, llamacpp.WithHTTPClient(hc), llamacpp.WithAPIKey(spec.APIKey))
	case string(wire.EngineOllama):
		p.ollama = newOllama(spec.URL, spec.APIKey, hc)
		p.probe = ollama.New(spec.URL, ollama.WithHTTPClient(hc), ollama.WithAPIKey(spec.APIKey))
		if len(spec.Models) > 0 {
			p.model = spec.Models[0]
		}
	default: // vllm, tgi, openai
		p.probe = openaicompat.New(spec.URL, spec.Engine, openaicompat.WithHTTPClient(hc), openaicompat.WithAPIKey(spec.APIKey))
	}
	return p
}

// registration is the pool as registered, completed from the probe where
// the configuration leaves a value open (slots, context, models). Unless the
// probe found the engine ready, the previous registration (prev, may be nil)
// stands: a loading or unreachable engine tells nothing about its slots.
func (p *pool) registration(r probeResult, prev *wire.PoolRegistration) wire.PoolRegistration {
	if (r.err != nil || !r.health.Ready) && prev != nil {
		return *prev
	}
	reg := wire.PoolRegistration{
		PoolID:     p.spec.PoolID,
		Engine:     wire.Engine(p.spec.Engine),
		URL:        p.spec.URL,
		Models:     p.spec.Models,
		SlotsTotal: p.spec.Slots,
		CtxMax:     p.spec.Ctx,
		DeviceMask: p.spec.DeviceMask,
	}
	if reg.SlotsTotal <= 0 {
		reg.SlotsTotal = max(r.health.SlotsTotal, 1)
	}
	if reg.CtxMax <= 0 {
		reg.CtxMax = max(r.health.CtxMax, 0)
	}
	if len(reg.Models) == 0 {
		reg.Models = validModels(r.health.Models)
		slices.Sort(reg.Models) // the engine's order (loaded first) is no change of what it serves
	}
	return reg
}

// sameRegistrations reports whether two registrations of the node's pools
// are equal.
func sameRegistrations(a, b []wire.PoolRegistration) bool {
	return slices.EqualFunc(a, b, func(x, y wire.PoolRegistration) bool {
		return x.PoolID == y.PoolID && x.Engine == y.Engine && x.URL == y.URL && x.SlotsTotal == y.SlotsTotal &&
			x.CtxMax == y.CtxMax && x.DeviceMask == y.DeviceMask && slices.Equal(x.Models, y.Models)
	})
}

// heartbeat is the pool's live state: the probe plus the control state
// (the caller holds Agent.mu).
//
// models_available: llama.cpp serves the one model it was started with, so
// the configured names (the ones the orchestrator places by) stand for it
// when set; the other engines list what they serve, and that list is sent,
// falling back to the configured names when the engine lists none.
func (p *pool) heartbeat(r probeResult) wire.PoolHeartbeat {
	h := r.health
	hb := wire.PoolHeartbeat{
		PoolID:        p.spec.PoolID,
		Ready:         r.err == nil && h.Ready && !p.reloading,
		Draining:      p.draining || p.reloading,
		SlotsTotal:    p.spec.Slots,
		EngineVersion: clean(h.Version, maxVersionLen),
		LastError:     p.lastError,
	}
	if h.SlotsTotal > 0 {
		hb.SlotsTotal = h.SlotsTotal
	}
	if r.err == nil && h.SlotsFree >= 0 {
		free := h.SlotsFree
		hb.SlotsFree = &free
	}
	switch {
	case r.err != nil:
	case p.spec.Engine == string(wire.EngineLlamaCpp) && len(p.spec.Models) > 0:
		hb.ModelsAvailable = p.spec.Models
	default:
		hb.ModelsAvailable = validModels(h.Models)
		if len(hb.ModelsAvailable) == 0 {
			hb.ModelsAvailable = p.spec.Models
		}
	}
	if hb.LastError == "" && r.err != nil {
		hb.LastError = "probe: " + r.err.Error()
	}
	hb.LastError = clean(hb.LastError, maxErrorLen)
	return hb
}

// validModels keeps the names the contract accepts as model ids (an engine
// may report a file path with spaces, say), at most maxModels of them.
func validModels(names []string) []string {
	var out []string
	for _, n := range names {
		if len(out) == maxModels {
			break
		}
		if wire.ValidModelRef(n) {
			out = append(out, n)
		}
	}
	return out
}

// clean makes s printable UTF-8 of at most n bytes, cut on a rune boundary.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
