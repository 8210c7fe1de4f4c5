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

// sampleResult is a session with every kind of scenario, a flagged run and
// a failed target.
func sampleResult() Result {
	stream := func(name, title string, c int, delayMs float64, runs []RunResult, errs ...string) ScenarioResult {
		sc, _ := lookupScenario(name)
		return ScenarioResult{Name: name, Title: title, Concurrency: c, TokenDelayMs: delayMs, Runs: runs,
			Points: points(sc.targets, runs), Errors: errs}
	}
	withSamples := mkRun("proxy", 2, 500, 1.1, 0, 2)
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
				mkRun("direct", 1, 100000, 40, 0, 0), mkRun("proxy", 1, 70000, 55, 0, 0), mkRun("orchd", 1, 85000, 45, 180, 0),
				mkRun("openai", 1, 80000, 46, 190, 0),
				mkRun("direct", 2, 110000, 38, 0, 0), withSamples, mkRun("orchd", 2, 90000, 44, 170, 0),
				mkRun("openai", 2, 84000, 45.5, 185, 0),
			}),
			stream("unsaturated", "64 concurrent streams, 5 ms between tokens", 64, 5, []RunResult{
				mkRun("direct", 1, 9000, 5.25, 0, 0), mkRun("orchd", 1, 8900, 5.75, 150, 0),
			}),
			stream("rss512", "512 concurrent streams, no delay between tokens: CPU and RSS", 512, 0, []RunResult{
				mkRun("direct", 1, 100000, 80, 0, 0), mkRun("proxy", 1, 72000, 100, 0, 0),
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
