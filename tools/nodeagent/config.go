package nodeagent

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Defaults of a Config.
const (
	DefaultInterval        = 5 * time.Second
	DefaultBackoffBase     = time.Second
	DefaultBackoffMax      = 30 * time.Second
	DefaultRequestTimeout  = 10 * time.Second
	DefaultProbeTimeout    = 5 * time.Second
	DefaultReloadTimeout   = 10 * time.Minute
	DefaultShutdownTimeout = 5 * time.Second
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("nodeagent: invalid configuration")

// EngineSpec is one engine next to the agent, registered as one pool.
type EngineSpec struct {
	PoolID string   `yaml:"pool_id"`
	Engine string   `yaml:"engine"` // llamacpp, vllm, tgi, openai, ollama
	URL    string   `yaml:"url"`
	Models []string `yaml:"models"` // the names the orchestrator places by; empty: what the engine reports
	// Slots is the engine's parallel slots; 0: what the probe reports, else 1.
	Slots int `yaml:"slots"`
	// Ctx is the context window in tokens; 0: what the probe reports.
	Ctx        int    `yaml:"ctx"`
	DeviceMask string `yaml:"device_mask"` // GPU indexes, "0,1"
	APIKey     string `yaml:"api_key"`     // sent to the engine as a bearer token
}

// GPU is one accelerator of the node, as announced at registration.
type GPU struct {
	Index          int    `yaml:"index"`
	Name           string `yaml:"name"`
	VRAMTotalBytes int64  `yaml:"vram_total_bytes"`
}

// Config is what the agent runs with. Durations of 0 take the defaults.
type Config struct {
	Orchestrator string `yaml:"orchestrator"` // base URL of orchestratord
	Token        string `yaml:"token"`        // node token: sent to the orchestrator, required on the control API
	NodeID       string `yaml:"node_id"`
	MachineID    string `yaml:"machine_id"`
	Version      string `yaml:"-"`
	Listen       string `yaml:"listen"` // control API address, e.g. 127.0.0.1:0
	// Advertise is the control API's base URL registered as the node's
	// address; empty: http://<the listener's address>.
	Advertise string `yaml:"advertise"`
	// Interval overrides the heartbeat interval the orchestrator asks for.
	Interval time.Duration `yaml:"interval"`
	CPUCores int           `yaml:"cpu_cores"`
	GPUs     []GPU         `yaml:"gpus"`
	Engines  []EngineSpec  `yaml:"engines"`

	BackoffBase     time.Duration `yaml:"backoff_base"`
	BackoffMax      time.Duration `yaml:"backoff_max"`
	RequestTimeout  time.Duration `yaml:"request_timeout"`
	ProbeTimeout    time.Duration `yaml:"probe_timeout"`
	ReloadTimeout   time.Duration `yaml:"reload_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// LoadConfig reads a YAML configuration (agent.yaml); unknown keys are
// errors.
func LoadConfig(r io.Reader) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return c, nil
}

// ParseEngine parses the value of an --engine flag:
// "pool_id=P,engine=E,url=U,models=a;b,slots=N,ctx=N,device_mask=0;1".
// Models and device indexes are separated by ';' because ',' separates keys.
func ParseEngine(s string) (EngineSpec, error) {
	var e EngineSpec
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return EngineSpec{}, fmt.Errorf("%w: --engine %q: %q is not key=value", ErrConfig, s, kv)
		}
		var err error
		switch k {
		case "pool_id", "pool":
			e.PoolID = v
		case "engine":
			e.Engine = v
		case "url":
			e.URL = v
		case "models":
			e.Models = splitList(v)
		case "slots":
			e.Slots, err = strconv.Atoi(v)
		case "ctx":
			e.Ctx, err = strconv.Atoi(v)
		case "device_mask", "devices":
			e.DeviceMask = strings.Join(splitList(v), ",")
		default:
			return EngineSpec{}, fmt.Errorf("%w: --engine %q: unknown key %q", ErrConfig, s, k)
		}
		if err != nil {
			return EngineSpec{}, fmt.Errorf("%w: --engine %q: %s: not a number", ErrConfig, s, k)
		}
	}
	return e, nil
}

func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// withDefaults fills in every zero duration.
func (c Config) withDefaults() Config {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&c.BackoffBase, DefaultBackoffBase)
	set(&c.BackoffMax, DefaultBackoffMax)
	set(&c.RequestTimeout, DefaultRequestTimeout)
	set(&c.ProbeTimeout, DefaultProbeTimeout)
	set(&c.ReloadTimeout, DefaultReloadTimeout)
	set(&c.ShutdownTimeout, DefaultShutdownTimeout)
	c.BackoffMax = max(c.BackoffMax, c.BackoffBase)
	return c
}

// Validate checks what the orchestrator would refuse, so a bad flag fails
// at start-up instead of in every registration.
func (c *Config) Validate() error {
	bad := func(field, reason string) error { return fmt.Errorf("%w: %s: %s", ErrConfig, field, reason) }
	if err := validURL(c.Orchestrator); err != nil {
		return bad("orchestrator", err.Error())
	}
	if !wire.ValidID(c.NodeID) {
		return bad("node_id", "must be 1-128 characters of [A-Za-z0-9._:@+-]")
	}
	if c.Advertise != "" {
		if err := validURL(c.Advertise); err != nil {
			return bad("advertise", err.Error())
		}
	}
	if c.Token == "" && c.Listen != "" && !loopback(c.Listen) {
		return bad("token", "a node token is required to serve the control API on a non-loopback address ("+c.Listen+")")
	}
	if c.Interval < 0 {
		return bad("interval", "must not be negative")
	}
	if len(c.Engines) == 0 {
		return bad("engines", "at least one engine is required")
	}
	seen := make(map[string]bool, len(c.Engines))
	for i, e := range c.Engines {
		field := "engines[" + strconv.Itoa(i) + "]"
		switch {
		case !wire.ValidID(e.PoolID):
			return bad(field+".pool_id", "must be 1-128 characters of [A-Za-z0-9._:@+-]")
		case seen[e.PoolID]:
			return bad(field+".pool_id", "duplicate pool id "+strconv.Quote(e.PoolID))
		case !wire.Engine(e.Engine).Valid():
			return bad(field+".engine", "must be llamacpp, vllm, tgi, openai or ollama")
		case e.Slots < 0:
			return bad(field+".slots", "must not be negative")
		case e.Ctx < 0:
			return bad(field+".ctx", "must not be negative")
		case !validDeviceMask(e.DeviceMask):
			return bad(field+".device_mask", `must be comma-separated GPU indexes such as "0,1"`)
		}
		if err := validURL(e.URL); err != nil {
			return bad(field+".url", err.Error())
		}
		for _, m := range e.Models {
			if !wire.ValidModelRef(m) {
				return bad(field+".models", strconv.Quote(m)+" is not a valid model id")
			}
		}
		seen[e.PoolID] = true
	}
	return nil
}

func validDeviceMask(mask string) bool {
	if mask == "" {
		return true
	}
	for part := range strings.SplitSeq(mask, ",") {
		if n, err := strconv.Atoi(part); err != nil || n < 0 || n > 1023 || part != strconv.Itoa(n) {
			return false
		}
	}
	return true
}

// loopback reports whether the listen address only accepts local
// connections.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	return nil
}
