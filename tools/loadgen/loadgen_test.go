package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/tools/simengine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startEngine(t *testing.T, opts ...simengine.Option) (*simengine.Server, string) {
	t.Helper()
	s, err := simengine.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func TestEngineTargetsCountExactTokens(t *testing.T) {
	cases := []struct{ target Target }{{TargetDirect}, {TargetProxy}}
	for _, tc := range cases {
		t.Run(string(tc.target), func(t *testing.T) {
			is := is.New(t)
			eng, url := startEngine(t, simengine.WithSlots(8))
			rep, err := Run(context.Background(), Config{Target: tc.target, URL: url, Concurrency: 4, Requests: 20, MaxTokens: 16})
			is.NoErr(err)                                 // the run went through
			is.Equal(rep.Requests, int64(20))             // every request completed
			is.Equal(rep.Errors, int64(0))                // no errors
			is.Equal(rep.Incomplete, int64(0))            // no cut streams
			is.Equal(rep.Tokens, int64(20*16))            // exact token total
			is.True(rep.TTFTP50Ms > 0)                    // first tokens were timed
			is.True(rep.TTFTP99Ms >= rep.TTFTP50Ms)       // percentiles ordered
			is.True(rep.TokensPerSec > 0)                 // throughput computed
			is.Equal(eng.Stats().Completed, uint64(20))   // the engine served them all
			is.Equal(eng.Stats().ClientClosed, uint64(0)) // and no client left early
		})
	}
}

func TestIncompleteStreamsAreErrors(t *testing.T) {
	cases := []struct{ target Target }{{TargetDirect}, {TargetProxy}}
	for _, tc := range cases {
		t.Run(string(tc.target), func(t *testing.T) {
			is := is.New(t)
			_, url := startEngine(t, simengine.WithFaults(simengine.Faults{DropAfter: 3, DropCount: simengine.Every, HangAfter: -1}))
			rep, err := Run(context.Background(), Config{Target: tc.target, URL: url, Concurrency: 2, Requests: 6, MaxTokens: 10})
			is.NoErr(err)                      // the run went through
			is.Equal(rep.Requests, int64(0))   // no stream completed
			is.Equal(rep.Errors, int64(6))     // every request failed
			is.Equal(rep.Incomplete, int64(6)) // because its stream was cut
			is.Equal(rep.Tokens, int64(6*3))   // after three tokens each
			is.True(len(rep.ErrorSamples) > 0) // with a sample of the error
		})
	}
}

func TestEngineErrorsAreCounted(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t, simengine.WithFaults(simengine.Faults{FailBeforeFirst: simengine.Every, DropAfter: -1, HangAfter: -1}))
	rep, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 2, Requests: 4})
	is.NoErr(err)                                              // the run went through
	is.Equal(rep.Errors, int64(4))                             // every request failed
	is.Equal(rep.Incomplete, int64(0))                         // before any stream
	is.True(strings.Contains(rep.ErrorSamples[0], "HTTP 500")) // the status is reported
}

func TestDurationBound(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t, simengine.WithTokenDelay(time.Millisecond))
	rep, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 2, Duration: 60 * time.Millisecond, MaxTokens: 4})
	is.NoErr(err)                  // the run went through
	is.True(rep.Requests > 0)      // requests completed
	is.Equal(rep.Errors, int64(0)) // none failed
	is.True(rep.ElapsedMs >= 60)   // the run lasted its duration
	is.True(rep.ElapsedMs < 2000)  // and stopped soon after
}

func TestStartOffsetsSpreadEvenly(t *testing.T) {
	tests := []struct {
		i, n    int
		stagger time.Duration
		want    time.Duration
	}{
		{0, 4, 400 * time.Millisecond, 0},
		{1, 4, 400 * time.Millisecond, 100 * time.Millisecond},
		{3, 4, 400 * time.Millisecond, 300 * time.Millisecond},
		{63, 64, 320 * time.Millisecond, 315 * time.Millisecond},
		{5, 8, 0, 0},
	}
	for _, tt := range tests {
		is := is.New(t)
		is.Equal(startOffset(tt.i, tt.n, tt.stagger), tt.want) // i×stagger/n
	}
}

func TestStaggeredRunCompletesEveryRequest(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t)
	rep, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 4, Requests: 8,
		MaxTokens: 4, Stagger: 20 * time.Millisecond})
	is.NoErr(err)                    // the run went through
	is.Equal(rep.Requests, int64(8)) // every request, the late starters' included
	is.Equal(rep.Errors, int64(0))   // none failed
	is.True(rep.ElapsedMs >= 15)     // the last client started 15 ms in
}

// fakeOrchd is a minimal /v2/tasks server: each task streams max_tokens token
// frames, then the terminal frame chosen by ending ("end", "error" or "" for
// none).
type fakeOrchd struct {
	ending   string
	admitted atomic.Int64
	auth     atomic.Value
	reject   int64 // admissions after this many answer 429 (0: never)
}

func (f *fakeOrchd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v2/tasks":
		f.auth.Store(r.Header.Get("Authorization"))
		var body struct {
			Workload  string `json:"workload"`
			ModelRef  string `json:"model_ref"`
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Workload != "completion" || body.ModelRef == "" || body.Prompt == "" {
			http.Error(w, `{"code":"INVALID_PARAMS","message":"bad body"}`, http.StatusBadRequest)
			return
		}
		n := f.admitted.Add(1)
		if f.reject > 0 && n > f.reject {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":"ADMISSION_REJECT","message":"queue full","retriable":true}`)
			return
		}
		id := fmt.Sprintf("t%d-%d", n, body.MaxTokens)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"task_id":%q,"queue_position":0,"predicted_start_ms":0,"backoff_ms":0,"streams":{"sse":"/v2/tasks/%s/events","sse_verbose":"/v2/tasks/%s/events?verbose=true"}}`, id, id, id)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/events"):
		var n, tokens int
		if _, err := fmt.Sscanf(strings.Split(r.URL.Path, "/")[3], "t%d-%d", &n, &tokens); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "id: 1\nevent: started\ndata: {\"queue_position\":0,\"predicted_start_ms\":0}\n\n: keep-alive\n\n")
		for i := range tokens {
			fmt.Fprintf(w, "id: %d\nevent: token\ndata: {\"t\":\" w\",\"i\":%d}\n\n", i+2, i)
		}
		switch f.ending {
		case "end":
			fmt.Fprintf(w, "id: %d\nevent: end\ndata: {\"tokens_out\":%d,\"decode_ms\":3,\"finish_reason\":\"length\",\"canceled\":false}\n\n", tokens+2, tokens)
		case "error":
			fmt.Fprintf(w, "id: %d\nevent: error\ndata: {\"code\":\"WORKER_RESET\",\"message\":\"engine vanished\",\"engine\":\"llamacpp\"}\n\n", tokens+2)
		}
	default:
		http.NotFound(w, r)
	}
}

func TestOrchdTarget(t *testing.T) {
	cases := []struct {
		ending                       string
		requests, errors, incomplete int64
	}{
		{"end", 9, 0, 0},
		{"error", 0, 9, 0},
		{"", 0, 9, 9},
	}
	for _, tc := range cases {
		t.Run("ending="+tc.ending, func(t *testing.T) {
			is := is.New(t)
			fake := &fakeOrchd{ending: tc.ending}
			ts := httptest.NewServer(fake)
			defer ts.Close()
			rep, err := Run(context.Background(), Config{Target: TargetOrchd, URL: ts.URL, Concurrency: 3, Requests: 9, MaxTokens: 7, Token: "secret"})
			is.NoErr(err)                               // the run went through
			is.Equal(rep.Requests, tc.requests)         // completed streams
			is.Equal(rep.Errors, tc.errors)             // failed streams
			is.Equal(rep.Incomplete, tc.incomplete)     // streams without a terminal frame
			is.Equal(rep.Tokens, int64(9*7))            // every token frame counted
			is.Equal(fake.auth.Load(), "Bearer secret") // the token is sent
		})
	}
}

func TestAdmitTarget(t *testing.T) {
	is := is.New(t)
	fake := &fakeOrchd{reject: 5}
	ts := httptest.NewServer(fake)
	defer ts.Close()
	rep, err := Run(context.Background(), Config{Target: TargetAdmit, URL: ts.URL, Concurrency: 2, Requests: 8})
	is.NoErr(err)                                              // the run went through
	is.Equal(rep.Requests, int64(5))                           // five 202s
	is.Equal(rep.Errors, int64(3))                             // three 429s
	is.Equal(rep.Tokens, int64(0))                             // admission streams nothing
	is.True(strings.Contains(rep.ErrorSamples[0], "HTTP 429")) // the status is reported
	is.True(rep.LatencyP50Ms > 0)                              // admissions were timed
}

func TestInterruptedRun(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t, simengine.WithTokenDelay(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	rep, err := Run(ctx, Config{Target: TargetDirect, URL: url, Concurrency: 2, Duration: time.Hour, MaxTokens: 2000})
	is.NoErr(err)                  // an interrupted run still reports
	is.True(rep.Interrupted)       // and says so
	is.Equal(rep.Errors, int64(0)) // abandoned requests are not counted as errors
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Target: TargetDirect, URL: "http://127.0.0.1:1", Concurrency: 1, Requests: 1}
	cases := []struct {
		name   string
		mutate func(*Config)
	}{
		{"target", func(c *Config) { c.Target = "grpc" }},
		{"url", func(c *Config) { c.URL = "127.0.0.1:1" }},
		{"concurrency", func(c *Config) { c.Concurrency = 0 }},
		{"unbounded", func(c *Config) { c.Requests = 0 }},
		{"negative duration", func(c *Config) { c.Duration = -time.Second }},
		{"max tokens", func(c *Config) { c.MaxTokens = -1 }},
		{"pid", func(c *Config) { c.PID = -1 }},
		{"engine pid", func(c *Config) { c.EnginePID = -1 }},
		{"stagger", func(c *Config) { c.Stagger = -time.Millisecond }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			c := ok
			tc.mutate(&c)
			_, err := Run(context.Background(), c)
			is.True(errors.Is(err, ErrInvalidConfig)) // refused before any request
		})
	}
}

func TestProcessFigures(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t)
	rep, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 1, Requests: 3, PID: os.Getpid()})
	is.NoErr(err)                  // own process readable
	is.Equal(rep.PID, os.Getpid()) // reported
	is.True(rep.PeakRSSKiB > 0)    // VmHWM read
	is.True(rep.CPUMs >= 0)        // CPU delta computed
	var sb strings.Builder
	is.NoErr(rep.WriteText(&sb))                         // text report written
	is.True(strings.Contains(sb.String(), "requests=3")) // with the request count
	is.True(strings.Contains(sb.String(), "peak_rss="))  // and the process figures
}

// TestMachineCPUFigures runs against the in-process engine, so the engine's
// pid is the test's own, which is also the client's process: both figures
// cover the same work, read a moment apart.
func TestMachineCPUFigures(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t, simengine.WithSlots(8))
	rep, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 8, Requests: 400, EnginePID: os.Getpid()})
	is.NoErr(err)                                                                      // own process readable
	is.Equal(rep.Requests, int64(400))                                                 // every stream completed
	is.Equal(rep.EnginePID, os.Getpid())                                               // the engine pid is reported
	is.True(rep.EngineCPUMs > 0)                                                       // 400 streams of 64 tokens take more than a tick
	is.True(rep.ClientCPUMs > 0)                                                       // the clients' process is measured without a pid
	is.Equal(rep.EngineCPUMicrosPerRequest, rep.EngineCPUMs*1e3/400)                   // spread over the streams
	is.Equal(rep.ClientCPUMicrosPerRequest, rep.ClientCPUMs*1e3/400)                   // likewise
	is.True(math.Abs(rep.ClientCPUMs-rep.EngineCPUMs) <= 0.2*max(rep.EngineCPUMs, 50)) // one process, read twice
	is.Equal(rep.PID, 0)                                                               // no relay asked for
	var sb strings.Builder
	is.NoErr(rep.WriteText(&sb))                                                            // text report written
	is.True(strings.Contains(sb.String(), fmt.Sprintf("engine pid %d: cpu=", os.Getpid()))) // the engine line
	is.True(strings.Contains(sb.String(), "client (this process): cpu="))                   // the client line
	is.True(!strings.Contains(sb.String(), "peak_rss="))                                    // no relay line
	b, err := json.Marshal(rep)
	is.NoErr(err) // the report is JSON
	for _, key := range []string{`"engine_pid":`, `"engine_cpu_us_per_request":`, `"client_cpu_us_per_request":`} {
		is.True(strings.Contains(string(b), key)) // named like the relay's figures
	}
}

func TestClientCPUWithoutPids(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t)
	rep, err := Run(context.Background(), Config{Target: TargetProxy, URL: url, Concurrency: 4, Requests: 200})
	is.NoErr(err)                                // the run went through
	is.True(rep.ClientCPUMicrosPerRequest > 0)   // measured always
	is.Equal(rep.EnginePID, 0)                   // no engine asked for
	is.Equal(rep.EngineCPUMicrosPerRequest, 0.0) // so no engine figure
	b, err := json.Marshal(rep)
	is.NoErr(err)                                            // the report is JSON
	is.True(!strings.Contains(string(b), `"engine_pid"`))    // left out when not measured
	is.True(strings.Contains(string(b), `"client_cpu_ms":`)) // the client's always there
}

func TestUnreadableEnginePID(t *testing.T) {
	is := is.New(t)
	_, url := startEngine(t)
	_, err := Run(context.Background(), Config{Target: TargetDirect, URL: url, Concurrency: 1, Requests: 1, EnginePID: 1 << 30})
	is.True(errors.Is(err, fs.ErrNotExist))              // above any pid_max: no such process
	is.True(strings.Contains(err.Error(), "engine pid")) // and the error says which process
}
