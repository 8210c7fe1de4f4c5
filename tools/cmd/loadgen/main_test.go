package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/tools/loadgen"
	"github.com/orchestratord/orchestratord/tools/simengine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func noEnv(string) string { return "" }

func startEngine(t *testing.T, opts ...simengine.Option) string {
	t.Helper()
	s, err := simengine.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestRunPrintsJSON(t *testing.T) {
	is := is.New(t)
	url := startEngine(t)
	var out strings.Builder
	code := run(context.Background(), []string{"--url", url, "-c", "2", "--requests", "4", "--max-tokens", "8", "--json"}, noEnv, &out, io.Discard)
	is.Equal(code, 0) // success
	var rep loadgen.Report
	is.NoErr(json.Unmarshal([]byte(out.String()), &rep)) // the report is JSON
	is.Equal(rep.Requests, int64(4))                     // every request completed
	is.Equal(rep.Tokens, int64(32))                      // exact tokens
	is.Equal(rep.Target, loadgen.TargetDirect)           // default target
}

func TestRunReportsTheEngineProcess(t *testing.T) {
	is := is.New(t)
	url := startEngine(t) // in this process, so its pid is the engine's
	pid := strconv.Itoa(os.Getpid())
	var text, js strings.Builder
	code := run(context.Background(), []string{"--url", url, "--requests", "4", "--max-tokens", "8", "--engine-pid", pid}, noEnv, &text, io.Discard)
	is.Equal(code, 0)                                                    // success
	is.True(strings.Contains(text.String(), "engine pid "+pid+": cpu=")) // the engine line
	code = run(context.Background(), []string{"--url", url, "--requests", "4", "--max-tokens", "8", "--engine-pid", pid, "--json"}, noEnv, &js, io.Discard)
	is.Equal(code, 0) // success
	var rep loadgen.Report
	is.NoErr(json.Unmarshal([]byte(js.String()), &rep)) // the report is JSON
	is.Equal(rep.EnginePID, os.Getpid())                // the flag reached the config
	is.True(rep.EngineCPUMicrosPerRequest >= 0)         // measured
}

func TestRunPrintsText(t *testing.T) {
	is := is.New(t)
	url := startEngine(t)
	var out strings.Builder
	code := run(context.Background(), []string{"--target", "proxy", "--url", url, "--requests", "2", "--max-tokens", "3"}, noEnv, &out, io.Discard)
	is.Equal(code, 0)                                       // success
	is.True(strings.Contains(out.String(), "target=proxy")) // text report
	is.True(strings.Contains(out.String(), "requests=2"))   // with the count
}

func TestRunExitCodes(t *testing.T) {
	failing := startEngine(t, simengine.WithFaults(simengine.Faults{FailBeforeFirst: simengine.Every, DropAfter: -1, HangAfter: -1}))
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no url", []string{"--requests", "1"}, 2},
		{"unbounded", []string{"--url", failing}, 2},
		{"bad flag", []string{"--nope"}, 2},
		{"negative engine pid", []string{"--url", failing, "--requests", "1", "--engine-pid", "-1"}, 2},
		{"gone engine pid", []string{"--url", failing, "--requests", "1", "--engine-pid", "1073741824"}, 1},
		{"errors tolerated", []string{"--url", failing, "--requests", "2"}, 0},
		{"errors fail", []string{"--url", failing, "--requests", "2", "--fail-on-error"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(run(context.Background(), tc.args, noEnv, io.Discard, io.Discard), tc.want) // exit code
		})
	}
}
