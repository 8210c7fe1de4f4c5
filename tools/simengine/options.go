package simengine

import (
	"errors"
	"fmt"
	"time"
)

// Flavor selects the answer of GET /health, the only endpoint whose body the
// two simulated servers disagree on.
type Flavor string

const (
	// FlavorLlamaCpp answers /health like llama-server: 200 {"status":"ok"},
	// 503 with the llama.cpp error body while loading.
	FlavorLlamaCpp Flavor = "llamacpp"
	// FlavorVLLM answers /health like vLLM: 200 with an empty body, 503 with an
	// empty body while loading.
	FlavorVLLM Flavor = "vllm"
)

// ErrInvalidOption is wrapped by every validation error of New.
var ErrInvalidOption = errors.New("simengine: invalid option")

// Defaults of the options.
const (
	DefaultModel = "tiny"
	DefaultSlots = 4
	DefaultCtx   = 4096
	DefaultSeed  = 42
)

type config struct {
	models          []string
	slots           int
	tokenDelay      time.Duration
	firstTokenDelay time.Duration
	ctx             int
	seed            uint64
	loadTime        time.Duration
	switchTime      time.Duration
	flavor          Flavor
	eosAfter        int
	faults          Faults
	now             func() time.Time
}

// Option configures a Server.
type Option func(*config)

// WithModels sets the served model names; the first is the default model.
func WithModels(models ...string) Option {
	return func(c *config) { c.models = append([]string(nil), models...) }
}

// WithSlots sets the number of concurrent generations; further requests wait
// for a free slot, as llama-server defers tasks.
func WithSlots(n int) Option { return func(c *config) { c.slots = n } }

// WithTokenDelay sets the pause between two tokens (0: as fast as possible).
func WithTokenDelay(d time.Duration) Option { return func(c *config) { c.tokenDelay = d } }

// WithFirstTokenDelay sets the pause between taking a slot and the first
// token (the simulated prompt processing).
func WithFirstTokenDelay(d time.Duration) Option {
	return func(c *config) { c.firstTokenDelay = d }
}

// WithCtx sets the context size per slot (n_ctx, vLLM max_model_len).
func WithCtx(n int) Option { return func(c *config) { c.ctx = n } }

// WithSeed sets the seed used when a request carries none.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithLoadTime makes the server report "loading" (503) for d after New.
func WithLoadTime(d time.Duration) Option { return func(c *config) { c.loadTime = d } }

// WithSwitchTime makes loading a model through Ollama's POST /api/generate
// take d (a model switch of a pool reload).
func WithSwitchTime(d time.Duration) Option { return func(c *config) { c.switchTime = d } }

// WithFlavor selects the /health answer.
func WithFlavor(f Flavor) Option { return func(c *config) { c.flavor = f } }

// WithEOSAfter makes the model emit its end-of-generation token after n text
// tokens (0: never), so that generations end with finish_reason "stop" /
// stop_type "eos" when max_tokens allows.
func WithEOSAfter(n int) Option { return func(c *config) { c.eosAfter = n } }

// WithFaults sets the initial faults (see Faults).
func WithFaults(f Faults) Option { return func(c *config) { c.faults = f } }

// WithClock replaces time.Now, for the "created" fields, the timings and the
// load time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

func newConfig(opts []Option) (config, error) {
	c := config{
		models: []string{DefaultModel},
		slots:  DefaultSlots,
		ctx:    DefaultCtx,
		seed:   DefaultSeed,
		flavor: FlavorLlamaCpp,
		faults: Faults{DropAfter: -1, HangAfter: -1},
		now:    time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case len(c.models) == 0:
		return c, fmt.Errorf("%w: at least one model", ErrInvalidOption)
	case c.slots < 1:
		return c, fmt.Errorf("%w: slots must be >= 1, got %d", ErrInvalidOption, c.slots)
	case c.ctx < 2:
		return c, fmt.Errorf("%w: ctx must be >= 2, got %d", ErrInvalidOption, c.ctx)
	case c.tokenDelay < 0 || c.firstTokenDelay < 0 || c.loadTime < 0 || c.switchTime < 0:
		return c, fmt.Errorf("%w: delays must be >= 0", ErrInvalidOption)
	case c.flavor != FlavorLlamaCpp && c.flavor != FlavorVLLM:
		return c, fmt.Errorf("%w: flavor must be %q or %q, got %q", ErrInvalidOption, FlavorLlamaCpp, FlavorVLLM, c.flavor)
	case c.eosAfter < 0:
		return c, fmt.Errorf("%w: eos-after must be >= 0", ErrInvalidOption)
	case c.now == nil:
		return c, fmt.Errorf("%w: nil clock", ErrInvalidOption)
	}
	for i, m := range c.models {
		if m == "" {
			return c, fmt.Errorf("%w: model %d is empty", ErrInvalidOption, i)
		}
	}
	if err := c.faults.validate(); err != nil {
		return c, err
	}
	return c, nil
}
