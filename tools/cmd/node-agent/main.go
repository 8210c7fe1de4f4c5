package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/tools/nodeagent"
)

// envToken names the environment variable holding the node token.
const envToken = "ORCHD_NODE_TOKEN"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run parses args, starts the agent and blocks until ctx is done (SIGTERM),
// then deregisters and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseConfig(args, stderr, getenv, os.ReadFile)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return exitUsage
	}
	logger := zerolog.New(stderr).With().Timestamp().Logger()
	agent, err := nodeagent.New(cfg, nodeagent.WithLogger(logger))
	if err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return exitError
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if err := agent.Run(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "node-agent:", err)
		return exitError
	}
	return exitOK
}

// engineFlags collects repeated --engine values.
type engineFlags []nodeagent.EngineSpec

func (e *engineFlags) String() string { return fmt.Sprint(len(*e), " engines") }

func (e *engineFlags) Set(s string) error {
	spec, err := nodeagent.ParseEngine(s)
	if err != nil {
		return err
	}
	*e = append(*e, spec)
	return nil
}

// parseConfig builds the configuration: the --config file first, then the
// flags that were set, then the token from the environment when neither
// gave one. Engines of the file and of --engine flags add up.
func parseConfig(args []string, stderr io.Writer, getenv func(string) string, readFile func(string) ([]byte, error)) (nodeagent.Config, error) {
	fs := flag.NewFlagSet("node-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		file      = fs.String("config", "", "YAML configuration file (agent.yaml)")
		orch      = fs.String("orchestrator", "", "base URL of orchestratord, e.g. http://10.0.0.1:8080")
		token     = fs.String("token", "", "node token (default $"+envToken+")")
		nodeID    = fs.String("node-id", "", "node id (default: the host name)")
		machineID = fs.String("machine-id", "", "machine id (default: /etc/machine-id)")
		listen    = fs.String("listen", "127.0.0.1:0", "address of the control API")
		advertise = fs.String("advertise", "", "control API URL to register (default http://<listen address>)")
		interval  = fs.Duration("interval", 0, "heartbeat interval (default: what the orchestrator asks for)")
		engines   engineFlags
	)
	fs.Var(&engines, "engine", "an engine: pool_id=P,engine=llamacpp|vllm|tgi|openai|ollama,url=U,models=a;b,slots=N,ctx=N (repeatable)")
	if err := fs.Parse(args); err != nil {
		return nodeagent.Config{}, err
	}
	if fs.NArg() > 0 {
		return nodeagent.Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var cfg nodeagent.Config
	if *file != "" {
		data, err := readFile(*file)
		if err != nil {
			return nodeagent.Config{}, err
		}
		if cfg, err = nodeagent.LoadConfig(bytes.NewReader(data)); err != nil {
			return nodeagent.Config{}, fmt.Errorf("%s: %w", *file, err)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	override := func(name string, dst *string, v string) {
		if set[name] || *dst == "" {
			*dst = v
		}
	}
	override("orchestrator", &cfg.Orchestrator, *orch)
	override("token", &cfg.Token, *token)
	override("node-id", &cfg.NodeID, *nodeID)
	override("machine-id", &cfg.MachineID, *machineID)
	override("listen", &cfg.Listen, *listen)
	override("advertise", &cfg.Advertise, *advertise)
	if set["interval"] {
		cfg.Interval = *interval
	}
	cfg.Engines = append(cfg.Engines, engines...)
	if cfg.Token == "" {
		cfg.Token = getenv(envToken)
	}
	if cfg.NodeID == "" {
		if host, err := os.Hostname(); err == nil && wire.ValidID(host) {
			cfg.NodeID = host
		}
	}
	if cfg.MachineID == "" {
		if b, err := readFile("/etc/machine-id"); err == nil {
			cfg.MachineID = strings.TrimSpace(string(b))
		}
	}
	cfg.Version = version()
	return cfg, cfg.Validate()
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}
