package placement

import (
	"errors"
	"math/rand/v2"
	"sync"
)

// Pool is the snapshot of one worker pool that placement reads. The daemon
// builds it from its registry; placement never modifies it.
type Pool struct {
	ID, NodeID, Engine      string
	Models                  []string
	DeviceMask              string  // device indexes the pool runs on, e.g. "0,1"; "" = unknown
	CtxMax                  int     // 0 = unknown (no limit known)
	SlotsTotal              int     // informational
	SlotsFree               int     // slots_total − orchestrator leases, bounded by the reported slots_free
	QueueDepth              int     // tasks waiting that only this pool could serve (tie-break)
	LatencyMs               float64 // recent latency (tie-break); 0 = unknown
	Online, Ready, Draining bool
}

// Request is what placement needs to know about a task.
type Request struct {
	Model  string
	Engine string // "" = any engine
	Ctx    int    // 0 = not given

	Mode    Mode
	PinPool string   // Mode Pin: the only pool to run on
	Prefer  []string // Mode Prefer: pools to try first, in order
	Avoid   []string // pools not to run on (see Placer.Place)

	// RequireDeviceMask lists device indexes ("0,1") that the pool's
	// DeviceMask must all contain; "" = no requirement.
	RequireDeviceMask string
	// AllowFallback lets pin, prefer and avoid fall back to other pools.
	AllowFallback bool

	// AffinityPool is the pool that served the session's previous turn
	// ("" = none); it is preferred when eligible.
	AffinityPool string
	// Strict (determinism strict) runs the task only on AffinityPool while
	// that pool can serve the request.
	Strict bool
}

// Errors returned by Place and Feasible.
var (
	// ErrNoPool: no registered pool, in any state, could ever serve the
	// request (model, engine, device mask; the pin, prefer or avoid lists
	// when fallback is not allowed).
	ErrNoPool = errors.New("placement: no registered pool can serve the request")
	// ErrCtxTooLarge: pools could serve the request but for its ctx, which
	// exceeds every candidate's CtxMax.
	ErrCtxTooLarge = errors.New("placement: ctx exceeds every candidate pool's ctx_max")
	// ErrBusy: a pool could serve the request but none is online, ready,
	// not draining and with a free slot now; wait and retry.
	ErrBusy = errors.New("placement: no eligible pool is ready with a free slot now")
)

// Decision reasons.
const (
	ReasonPin         = "pin"
	ReasonPrefer      = "prefer"
	ReasonAffinity    = "affinity"
	ReasonLeastLoaded = "least-loaded"
	ReasonRoundRobin  = "round-robin"
	ReasonRandom      = "random"
	// ReasonFallback: the request's pin, prefer or avoid list could not be
	// honoured and AllowFallback let another pool run it.
	ReasonFallback = "fallback"
)

// Decision is the chosen pool.
type Decision struct {
	PoolID string
	Index  int    // index of the pool in the slice passed to Place
	Reason string // one of the Reason constants
}

// Placer chooses pools. It is safe for concurrent use; its only state is the
// round-robin cursor (and the default random source).
type Placer struct {
	strategy Strategy

	mu        sync.Mutex // held by Place for RoundRobin and Random: guards cursor, hasCursor, intn
	intn      func(n int) int
	cursor    string // ID of the pool round-robin picked last
	hasCursor bool
}

// Option configures a Placer.
type Option func(*Placer)

// WithIntn sets the source of randomness of the Random strategy: intn(n)
// returns a uniform integer in [0, n); a value outside is reduced modulo n.
// Random samples a reservoir: it draws once per eligible pool, with n = 1,
// 2, 3, … in slice order, and the pool whose draw is 0 becomes the pick, so
// the last such pool wins. intn is called with the Placer's lock held. The
// default is a math/rand/v2 PCG source seeded at construction and owned by
// the Placer. A nil intn is ignored.
func WithIntn(intn func(n int) int) Option {
	return func(p *Placer) {
		if intn != nil {
			p.intn = intn
		}
	}
}

// New returns a Placer using strategy s. It panics when s is undefined, a
// programming error (configuration goes through ParseStrategy).
func New(s Strategy, opts ...Option) *Placer {
	if !s.Valid() {
		panic("placement: undefined strategy " + s.String())
	}
	p := &Placer{strategy: s}
	for _, o := range opts {
		o(p)
	}
	if p.intn == nil {
		p.intn = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())).IntN
	}
	return p
}

// Strategy returns the configured strategy.
func (p *Placer) Strategy() Strategy { return p.strategy }
