package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Env reads an environment variable; os.Getenv in main, a map in tests.
type Env func(key string) string

// Load builds the configuration from defaults, the YAML file named by
// --config or ORCHD_CONFIG, the environment and the flags in args, in that
// order of increasing precedence, and validates it.
func Load(args []string, env Env, stderr io.Writer) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("orchestratord", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configPath = fs.String("config", "", "YAML config file (env ORCHD_CONFIG)")
		addr       = fs.String("addr", cfg.Addr, "listen address host:port (env ORCHD_ADDR)")
		dataDir    = fs.String("data-dir", cfg.DataDir, "data directory (env ORCHD_DATA_DIR)")
		logLevel   = fs.String("log-level", cfg.LogLevel, "trace|debug|info|warn|error (env ORCHD_LOG_LEVEL)")
		logFormat  = fs.String("log-format", cfg.LogFormat, "json|console (env ORCHD_LOG_FORMAT)")
		insecure   = fs.Bool("insecure-no-auth", false, "allow a non-loopback bind without an API token")
		pprofAddr  = fs.String("pprof-addr", "", "serve net/http/pprof on this loopback host:port (off when empty)")
	)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	path := *configPath
	if path == "" {
		path = env("ORCHD_CONFIG")
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := decodeYAML(raw, &cfg); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return Config{}, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "addr":
			cfg.Addr = *addr
		case "data-dir":
			cfg.DataDir = *dataDir
		case "log-level":
			cfg.LogLevel = *logLevel
		case "log-format":
			cfg.LogFormat = *logFormat
		case "insecure-no-auth":
			cfg.InsecureNoAuth = *insecure
		case "pprof-addr":
			cfg.PprofAddr = *pprofAddr
		}
	})
	return cfg, cfg.Validate()
}

func applyEnv(cfg *Config, env Env) error {
	set := func(key string, dst *string) {
		if v := env(key); v != "" {
			*dst = v
		}
	}
	set("ORCHD_ADDR", &cfg.Addr)
	set("ORCHD_API_TOKEN", &cfg.APIToken)
	set("ORCHD_NODE_TOKEN", &cfg.NodeToken)
	set("ORCHD_DATA_DIR", &cfg.DataDir)
	set("ORCHD_LOG_LEVEL", &cfg.LogLevel)
	set("ORCHD_LOG_FORMAT", &cfg.LogFormat)
	if v := env("ORCHD_METRICS_AUTH"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &KeyError{Key: "ORCHD_METRICS_AUTH", Reason: fmt.Sprintf("want true|false, got %q", v)}
		}
		cfg.MetricsAuth = b
	}
	return nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// decodeYAML decodes strictly (unknown keys are errors) and rewrites the
// decoder's "line N:" messages to name the key at that line.
func decodeYAML(raw []byte, cfg *Config) error {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return err
	}
	keys := map[int]string{}
	indexKeys(&root, "", keys)
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		msgs = append(msgs, yamlLine.ReplaceAllStringFunc(m, func(s string) string {
			n, _ := strconv.Atoi(yamlLine.FindStringSubmatch(s)[1])
			if k, ok := keys[n]; ok {
				return fmt.Sprintf("%s (line %d): ", k, n)
			}
			return s
		}))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// indexKeys records, for every line that holds a key or a value, the dotted
// key path that line belongs to.
func indexKeys(n *yaml.Node, prefix string, out map[int]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			out[k.Line] = path
			if v.Kind == yaml.ScalarNode {
				out[v.Line] = path
			}
			indexKeys(v, path, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			if c.Kind == yaml.ScalarNode {
				out[c.Line] = path
			}
			indexKeys(c, path, out)
		}
	}
}
