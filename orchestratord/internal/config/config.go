// Package config loads orchestratord's configuration: defaults, then the
// optional YAML file, then the environment, then flags (each later source
// wins), and validates it with errors that name the offending key.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config is the whole daemon configuration. YAML keys follow api.md §10.
type Config struct {
	Addr           string `yaml:"addr"`
	DataDir        string `yaml:"data_dir"`
	APIToken       string `yaml:"-"`
	NodeToken      string `yaml:"-"`
	MetricsAuth    bool   `yaml:"metrics_auth"`
	InsecureNoAuth bool   `yaml:"-"`
	PprofAddr      string `yaml:"-"` // profiling endpoint, loopback only
	LogLevel       string `yaml:"log_level"`
	LogFormat      string `yaml:"log_format"`

	Queue     Queue     `yaml:"queue"`
	Placement Placement `yaml:"placement"`
	Nodes     Nodes     `yaml:"nodes"`
	Dispatch  Dispatch  `yaml:"dispatch"`
	Events    Events    `yaml:"events"`
	Sessions  Sessions  `yaml:"sessions"`
	Limits    Limits    `yaml:"limits"`
	Shutdown  Shutdown  `yaml:"shutdown"`
	Pools     []Pool    `yaml:"pools"`
	Catalog   Catalog   `yaml:"catalog"`
}

// Catalog configures model verification (beyond api.md §10's keys).
type Catalog struct {
	// FileRoot, when set, confines verification of file:// sources to this
	// directory (absolute); empty verifies any file the daemon can read.
	FileRoot string `yaml:"file_root"`
}

// Queue configures admission.
type Queue struct {
	Capacity int    `yaml:"capacity"`
	Policy   string `yaml:"policy"`
}

// Placement configures pool choice.
type Placement struct {
	Strategy string `yaml:"strategy"`
}

// Nodes configures heartbeats and expiry; static pools are probed on the
// same interval.
type Nodes struct {
	HeartbeatIntervalMs int64 `yaml:"heartbeat_interval_ms"`
	TimeoutMs           int64 `yaml:"timeout_ms"`
}

// Dispatch configures retries and the per-token timeout.
type Dispatch struct {
	Retries        int   `yaml:"retries"`
	TokenTimeoutMs int64 `yaml:"token_timeout_ms"`
}

// Events configures how long finished event logs are kept.
type Events struct {
	RetentionMs int64 `yaml:"retention_ms"`
	// KeepAliveMs is the longest quiet spell on an SSE stream before a
	// ": keep-alive" comment (api.md §3 says at least every 15 s).
	KeepAliveMs int64 `yaml:"keepalive_ms"`
	// MaxRetained bounds how many finished tasks are kept for status and
	// late readers, whatever the retention (memory bound); the oldest go
	// first. Their transcripts remain.
	MaxRetained int `yaml:"max_retained"`
}

// Sessions configures session TTL and default budgets.
type Sessions struct {
	TTLMs        int64   `yaml:"ttl_ms"`
	CostPerToken float64 `yaml:"cost_per_token"`
	Budgets      Budgets `yaml:"budgets"`
}

// Budgets are per-session defaults; 0 means unlimited.
type Budgets struct {
	Tokens int64   `yaml:"tokens"`
	TimeMs int64   `yaml:"time_ms"`
	Cost   float64 `yaml:"cost"`
}

// Limits bound request sizes.
type Limits struct {
	BodyBytes     int64 `yaml:"body_bytes"`
	ArtifactBytes int64 `yaml:"artifact_bytes"`
	MaxTokens     int   `yaml:"max_tokens"`
}

// Shutdown configures the grace period for running streams.
type Shutdown struct {
	GraceMs int64 `yaml:"grace_ms"`
}

// Pool is a statically declared engine (home profile).
type Pool struct {
	PoolID     string   `yaml:"pool_id"`
	Engine     string   `yaml:"engine"`
	URL        string   `yaml:"url"`
	Models     []string `yaml:"models"`
	SlotsTotal int      `yaml:"slots_total"`
	CtxMax     int      `yaml:"ctx_max"`
	DeviceMask string   `yaml:"device_mask"`
}

// Default returns the documented defaults of api.md §10.
func Default() Config {
	return Config{
		Addr:      "127.0.0.1:8080",
		DataDir:   "./data",
		LogLevel:  "info",
		LogFormat: "json",
		Queue:     Queue{Capacity: 1024, Policy: "reject"},
		Placement: Placement{Strategy: "least-loaded"},
		Nodes:     Nodes{HeartbeatIntervalMs: 5000, TimeoutMs: 15000},
		Dispatch:  Dispatch{Retries: 2, TokenTimeoutMs: 60000},
		Events:    Events{RetentionMs: 600000, KeepAliveMs: 15000, MaxRetained: 100000},
		Sessions:  Sessions{TTLMs: 600000},
		Limits:    Limits{BodyBytes: 1 << 20, ArtifactBytes: 8 << 20, MaxTokens: 32768},
		Shutdown:  Shutdown{GraceMs: 30000},
	}
}

// KeyError is a validation failure of one configuration key.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string { return fmt.Sprintf("config: %s: %s", e.Key, e.Reason) }

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._:@+-]{1,128}$`)

var engines = map[string]bool{"llamacpp": true, "vllm": true, "tgi": true, "ollama": true, "openai": true}

// Validate checks every key and returns all problems joined, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "want host:port, got %q", c.Addr)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if !oneOf(c.LogLevel, "trace", "debug", "info", "warn", "error") {
		bad("log_level", "want trace|debug|info|warn|error, got %q", c.LogLevel)
	}
	if !oneOf(c.LogFormat, "json", "console") {
		bad("log_format", "want json|console, got %q", c.LogFormat)
	}
	if c.Queue.Capacity < 1 {
		bad("queue.capacity", "must be at least 1, got %d", c.Queue.Capacity)
	}
	if !oneOf(c.Queue.Policy, "reject", "drop-lru") {
		bad("queue.policy", "want reject|drop-lru, got %q", c.Queue.Policy)
	}
	if !oneOf(c.Placement.Strategy, "least-loaded", "round-robin", "random") {
		bad("placement.strategy", "want least-loaded|round-robin|random, got %q", c.Placement.Strategy)
	}
	if c.Nodes.HeartbeatIntervalMs < 1 {
		bad("nodes.heartbeat_interval_ms", "must be at least 1, got %d", c.Nodes.HeartbeatIntervalMs)
	}
	if c.Nodes.TimeoutMs < c.Nodes.HeartbeatIntervalMs {
		bad("nodes.timeout_ms", "must be at least nodes.heartbeat_interval_ms (%d), got %d", c.Nodes.HeartbeatIntervalMs, c.Nodes.TimeoutMs)
	}
	if c.Dispatch.Retries < 0 {
		bad("dispatch.retries", "must not be negative, got %d", c.Dispatch.Retries)
	}
	if c.Dispatch.TokenTimeoutMs < 1 {
		bad("dispatch.token_timeout_ms", "must be at least 1, got %d", c.Dispatch.TokenTimeoutMs)
	}
	if c.Events.RetentionMs < 0 {
		bad("events.retention_ms", "must not be negative, got %d", c.Events.RetentionMs)
	}
	if c.Events.KeepAliveMs < 1 || c.Events.KeepAliveMs > 15000 {
		bad("events.keepalive_ms", "must be between 1 and 15000, got %d", c.Events.KeepAliveMs)
	}
	if c.Events.MaxRetained < 1 {
		bad("events.max_retained", "must be at least 1, got %d", c.Events.MaxRetained)
	}
	if c.Sessions.TTLMs < 1 {
		bad("sessions.ttl_ms", "must be at least 1, got %d", c.Sessions.TTLMs)
	}
	if c.Sessions.CostPerToken < 0 {
		bad("sessions.cost_per_token", "must not be negative")
	}
	if c.Sessions.Budgets.Tokens < 0 || c.Sessions.Budgets.TimeMs < 0 || c.Sessions.Budgets.Cost < 0 {
		bad("sessions.budgets", "budgets must not be negative (0 = unlimited)")
	}
	if c.Limits.BodyBytes < 1024 {
		bad("limits.body_bytes", "must be at least 1024, got %d", c.Limits.BodyBytes)
	}
	if c.Limits.ArtifactBytes < 1024 {
		bad("limits.artifact_bytes", "must be at least 1024, got %d", c.Limits.ArtifactBytes)
	}
	if c.Limits.MaxTokens < 1 {
		bad("limits.max_tokens", "must be at least 1, got %d", c.Limits.MaxTokens)
	}
	if c.Shutdown.GraceMs < 0 {
		bad("shutdown.grace_ms", "must not be negative, got %d", c.Shutdown.GraceMs)
	}
	if c.Catalog.FileRoot != "" && !filepath.IsAbs(c.Catalog.FileRoot) {
		bad("catalog.file_root", "want an absolute directory, got %q", c.Catalog.FileRoot)
	}
	seen := map[string]bool{}
	for i, p := range c.Pools {
		key := fmt.Sprintf("pools[%d]", i)
		if !idPattern.MatchString(p.PoolID) {
			bad(key+".pool_id", "want 1-128 chars of [A-Za-z0-9._:@+-], got %q", p.PoolID)
		} else if seen[p.PoolID] {
			bad(key+".pool_id", "duplicate pool id %q", p.PoolID)
		}
		seen[p.PoolID] = true
		if !engines[p.Engine] {
			bad(key+".engine", "want llamacpp|vllm|tgi|ollama|openai, got %q", p.Engine)
		}
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key+".url", "want an http(s) base URL, got %q", p.URL)
		}
		if len(p.Models) == 0 {
			bad(key+".models", "must list at least one model")
		}
		for j, m := range p.Models {
			if strings.TrimSpace(m) == "" || len(m) > 256 {
				bad(fmt.Sprintf("%s.models[%d]", key, j), "must be a non-empty model name")
			}
		}
		if p.SlotsTotal < 1 {
			bad(key+".slots_total", "must be at least 1, got %d", p.SlotsTotal)
		}
		if p.CtxMax < 0 {
			bad(key+".ctx_max", "must not be negative, got %d", p.CtxMax)
		}
	}
	if c.PprofAddr != "" {
		host, _, err := net.SplitHostPort(c.PprofAddr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			bad("pprof-addr", "want a loopback host:port, got %q", c.PprofAddr)
		}
	}
	if err := c.checkAuth(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkAuth refuses a non-loopback bind without an API token (api.md §2).
func (c Config) checkAuth() error {
	if c.APIToken != "" || c.InsecureNoAuth {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil // reported under addr
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &KeyError{Key: "addr", Reason: fmt.Sprintf("refusing to listen on non-loopback address %q without an API token: set ORCHD_API_TOKEN, or pass --insecure-no-auth to override", c.Addr)}
}

// Duration converts a millisecond setting.
func Duration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}
