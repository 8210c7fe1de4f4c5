package loadgen

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Target is what the clients talk to.
type Target string

const (
	// TargetDirect streams POST {URL}/v1/completions from the engine.
	TargetDirect Target = "direct"
	// TargetProxy streams the same through an in-process
	// httputil.ReverseProxy (FlushInterval -1) in front of the engine.
	TargetProxy Target = "proxy"
	// TargetOrchd admits POST {URL}/v2/tasks and reads the task's SSE stream
	// until its end or error frame.
	TargetOrchd Target = "orchd"
	// TargetAdmit only posts tasks, counting 202 answers.
	TargetAdmit Target = "admit"
	// TargetOpenAI streams POST {URL}/v1/chat/completions from
	// orchestratord's OpenAI-compatible API until data: [DONE].
	TargetOpenAI Target = "openai"
)

// ErrInvalidConfig is wrapped by every Config validation error.
var ErrInvalidConfig = errors.New("loadgen: invalid config")

// Defaults of Config.
const (
	DefaultModel     = "tiny"
	DefaultPrompt    = "Write a short story about a quick brown fox."
	DefaultMaxTokens = 64
	DefaultTimeout   = 60 * time.Second
)

// Config is one load run.
type Config struct {
	Target Target
	// URL is the engine's base URL (direct, proxy) or orchestratord's (orchd,
	// admit, openai).
	URL         string
	Concurrency int
	// Duration stops issuing requests after this long (0: no time bound).
	Duration time.Duration
	// Requests stops after this many requests in total (0: no count bound).
	// At least one of Duration and Requests is set; the run ends at the first
	// bound reached, once the requests in flight have finished.
	Requests  int
	Model     string
	Prompt    string
	MaxTokens int
	// Token is sent as "Authorization: Bearer" to orchestratord.
	Token string
	// PID, when > 0, is the process whose CPU time (utime+stime) per request
	// and peak RSS (VmHWM) are reported: the relay.
	PID int
	// EnginePID, when > 0, is the engine's process, whose CPU time per
	// request is reported beside the relay's. The load generator's own
	// process is always measured (see Report.ClientCPUMs).
	EnginePID int
	// Timeout bounds one request, its stream included.
	Timeout time.Duration
	// Stagger spreads the clients' first requests evenly over this long
	// (client i of n starts i×Stagger/n after the run), so that closed-loop
	// clients of equally long streams arrive like independent users instead
	// of in lockstep bursts of Concurrency requests (0: all start at once).
	Stagger time.Duration
}

// withDefaults fills the optional fields.
func (c Config) withDefaults() Config {
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.Prompt == "" {
		c.Prompt = DefaultPrompt
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate checks c after defaults.
func (c Config) Validate() error {
	switch c.Target {
	case TargetDirect, TargetProxy, TargetOrchd, TargetAdmit, TargetOpenAI:
	default:
		return fmt.Errorf("%w: target must be direct, proxy, orchd, admit or openai, got %q", ErrInvalidConfig, c.Target)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: url must be an http(s) base URL, got %q", ErrInvalidConfig, c.URL)
	}
	switch {
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency must be >= 1, got %d", ErrInvalidConfig, c.Concurrency)
	case c.Duration < 0 || c.Requests < 0:
		return fmt.Errorf("%w: duration and requests must be >= 0", ErrInvalidConfig)
	case c.Duration == 0 && c.Requests == 0:
		return fmt.Errorf("%w: set a duration, a request count or both", ErrInvalidConfig)
	case c.MaxTokens < 1:
		return fmt.Errorf("%w: max tokens must be >= 1, got %d", ErrInvalidConfig, c.MaxTokens)
	case c.Timeout < 0:
		return fmt.Errorf("%w: timeout must be >= 0", ErrInvalidConfig)
	case c.Stagger < 0:
		return fmt.Errorf("%w: stagger must be >= 0", ErrInvalidConfig)
	case c.PID < 0:
		return fmt.Errorf("%w: pid must be >= 0", ErrInvalidConfig)
	case c.EnginePID < 0:
		return fmt.Errorf("%w: engine pid must be >= 0", ErrInvalidConfig)
	}
	return nil
}
