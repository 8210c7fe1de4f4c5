package main

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/tools/loadgen"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// onMachine gives r the engine's and the client's CPU per stream.
func onMachine(r RunResult, engine, client float64) RunResult {
	if engine > 0 {
		r.EnginePID, r.EngineCPUMicrosPerRequest, r.EngineCPUMs = 7, engine, engine*float64(r.Requests)/1e3
	}
	r.ClientCPUMicrosPerRequest, r.ClientCPUMs = client, client*float64(r.Requests)/1e3
	return r
}

// sampleResult is a session with every kind of scenario, a flagged run and
// a failed target.
func sampleResult() Result {
	stream := func(name, title string, c int, delayMs float64, runs []RunResult, errs ...string) ScenarioResult {
		sc, _ := lookupScenario(name)
		return ScenarioResult{Name: name, Title: title, Concurrency: c, TokenDelayMs: delayMs, Runs: runs,
			Points: points(sc.targets, runs), Errors: errs}
	}
	withSamples := onMachine(mkRun("proxy", 2, 500, 1.1, 160, 2), 280, 64)
	withSamples.Incomplete, withSamples.ErrorSamples = 2, []string{"stream ended without its terminal frame: unexpected EOF"}
	admit := []RunResult{mkRun("admit", 1, 0, 0, 45, 0), mkRun("admit", 2, 0, 0, 55, 0)}
	admit[0].RequestsPerSec, admit[1].RequestsPerSec = 12500, 11000
	return Result{
		Machine: Machine{NProc: 2, Kernel: "Linux 6.1.0", CPU: "AMD EPYC", GoVersion: "go1.26.8", OSArch: "linux/amd64",
			Revision: "91f25dc0abcd", Date: "2026-01-02T03:04:05Z"},
		Command:  "bin/benchrun --bin bin",
		Settings: Settings{Bin: "bin", DurationMs: 5000, WarmupMs: 1000, Repeat: 2, MaxTokens: 64, EngineSlots: 1024, RetentionMs: 2000},
		Scenarios: []ScenarioResult{
			stream("saturated", "256 concurrent streams, no delay between tokens", 256, 0, []RunResult{
				onMachine(mkRun("direct", 1, 100000, 40, 0, 0), 270, 60), onMachine(mkRun("proxy", 1, 70000, 55, 150, 0), 270, 60),
				onMachine(mkRun("orchd", 1, 85000, 45, 180, 0), 265, 85), onMachine(mkRun("openai", 1, 80000, 46, 190, 0), 266, 80),
				onMachine(mkRun("direct", 2, 110000, 38, 0, 0), 280, 62), withSamples,
				onMachine(mkRun("orchd", 2, 90000, 44, 170, 0), 275, 87), onMachine(mkRun("openai", 2, 84000, 45.5, 185, 0), 270, 84),
			}),
			stream("unsaturated", "64 concurrent streams, 5 ms between tokens", 64, 5, []RunResult{
				onMachine(mkRun("direct", 1, 9000, 5.25, 0, 0), 900, 300), onMachine(mkRun("orchd", 1, 8900, 5.75, 150, 0), 900, 400),
			}),
			stream("rss512", "512 concurrent streams, no delay between tokens: CPU and RSS", 512, 0, []RunResult{
				onMachine(mkRun("direct", 1, 100000, 80, 0, 0), 290, 70), onMachine(mkRun("proxy", 1, 72000, 100, 0, 0), 290, 75),
			}, "orchestratord unavailable, its targets are left out: starting orchestratord: exited before listening (exit status 2); its stderr ends with:\n    orchestratord: config: bad"),
			{Name: "admit", Title: "admission alone: POST /v2/tasks, every task stays queued", Concurrency: 32,
				Runs: admit, Points: points([]loadgen.Target{loadgen.TargetAdmit}, admit)},
		},
	}
}

func TestMarkdownGolden(t *testing.T) {
	is := is.New(t)
	var b bytes.Buffer
	is.NoErr(writeMarkdown(&b, sampleResult())) // renders
	golden := filepath.Join("testdata", "report.golden.md")
	if *update {
		is.NoErr(os.MkdirAll("testdata", 0o755))
		is.NoErr(os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	is.NoErr(err)                      // the golden file exists (go test -run Golden -update writes it)
	is.Equal(b.String(), string(want)) // the report matches the golden file
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fs.ErrClosed }

func TestMarkdownReportsWriteErrors(t *testing.T) {
	is := is.New(t)
	err := writeMarkdown(failingWriter{}, sampleResult())
	is.True(errors.Is(err, fs.ErrClosed)) // the first write error comes back
}

func TestGrouped(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999.4, "999"}, {999.6, "1,000"}, {123456.7, "123,457"}, {1234567, "1,234,567"}, {-4321, "-4,321"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			is := is.New(t)
			is.Equal(grouped(tc.in), tc.want) // thousands grouped
		})
	}
}

func TestCommandLine(t *testing.T) {
	is := is.New(t)
	got := commandLine([]string{"bin/benchrun", "--bin", "my bin", "--out", "it's.md", "--scenarios", "c1,admit", ""})
	is.Equal(got, `bin/benchrun --bin 'my bin' --out 'it'\''s.md' --scenarios c1,admit ''`) // a shell runs it again as it ran
}

func TestReadMachine(t *testing.T) {
	files := map[string]string{
		"/proc/cpuinfo":              "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n",
		"/proc/sys/kernel/ostype":    "Linux\n",
		"/proc/sys/kernel/osrelease": "6.1.0-18-amd64\n",
	}
	readFile := func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, fs.ErrNotExist
		}
		return []byte(s), nil
	}
	is := is.New(t)
	m := readMachine(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), readFile)
	is.Equal(m.CPU, "AMD EPYC 7B13")           // the first model name
	is.Equal(m.Kernel, "Linux 6.1.0-18-amd64") // what uname -sr prints
	is.Equal(m.Date, "2026-01-02T02:04:05Z")   // in UTC
	is.True(m.NProc > 0)                       // from the runtime
}

func TestCPUModelOnArm(t *testing.T) {
	is := is.New(t)
	is.Equal(cpuModel([]byte("processor\t: 0\nBogoMIPS\t: 50.00\nHardware\t: BCM2835\n")), "BCM2835") // arm names the board
	is.Equal(cpuModel([]byte("garbage")), "")                                                         // nothing known
}

// TestMachineCPUTable renders the figures of the manual measurement of
// issue 2 (µs per 64-token stream at 256 streams).
func TestMachineCPUTable(t *testing.T) {
	runs := []RunResult{
		onMachine(mkRun("direct", 1, 380000, 40, 0, 0), 270, 60),
		onMachine(mkRun("proxy", 1, 270000, 50, 150, 0), 270, 60),
		onMachine(mkRun("orchd", 1, 230000, 55, 200, 0), 265, 85),
	}
	withoutEngine := []RunResult{mkRun("direct", 1, 380000, 40, 0, 0), mkRun("orchd", 1, 230000, 55, 200, 0)}
	scenarioOf := func(name string, runs []RunResult) Result {
		sc, _ := lookupScenario(name)
		return Result{Machine: Machine{NProc: 2}, Settings: Settings{MaxTokens: 64},
			Scenarios: []ScenarioResult{{Name: name, Concurrency: sc.concurrency, Runs: runs, Points: points(sc.targets, runs)}}}
	}
	const heading = "CPU per stream on the machine (µs, median):"
	cases := []struct {
		name          string
		in            Result
		want, notWant []string
	}{
		{"saturated", scenarioOf(scenarioSaturated, runs), []string{
			heading,
			"| target | engine | relay | client | total |",
			"| direct | 270.0 | — | 60.0 | 330.0 |",
			"| proxy | 270.0 | 150.0 | 60.0 | 480.0 |",
			"| orchestratord | 265.0 | 200.0 | 85.0 | 550.0 |",
			"× direct the totals predict (measured): proxy 0.69 (0.71), orchestratord 0.60 (0.61).",
			"Tokens/s if the 2 cores did nothing else (2 × 10⁶ / total × 64): direct 388,000, proxy 267,000, orchestratord 233,000.",
		}, nil},
		{"one stream at a time: no prediction", scenarioOf(scenarioC1, runs),
			[]string{heading, "| orchestratord | 265.0 | 200.0 | 85.0 | 550.0 |"}, []string{"tokens/s ∝ 1/total"}},
		{"latency scenario: no table", scenarioOf(scenarioUnsaturated, runs), nil, []string{heading}},
		{"engine not measured: no table", scenarioOf(scenarioSaturated, withoutEngine), nil, []string{heading, "tokens/s ∝ 1/total"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var b bytes.Buffer
			is.NoErr(writeMarkdown(&b, tc.in)) // renders
			for _, w := range tc.want {
				is.True(bytes.Contains(b.Bytes(), []byte(w))) // in the report
			}
			for _, w := range tc.notWant {
				is.True(!bytes.Contains(b.Bytes(), []byte(w))) // not in the report
			}
		})
	}
}
