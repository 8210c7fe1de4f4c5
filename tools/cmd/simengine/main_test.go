package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/orchestratord/orchestratord/tools/simengine"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// firstLine is a writer that hands over the first line written to it.
type firstLine struct {
	mu   sync.Mutex
	buf  strings.Builder
	once sync.Once
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	if s, _, ok := strings.Cut(f.buf.String(), "\n"); ok {
		f.once.Do(func() { f.line <- s })
	}
	return len(p), nil
}

func TestParseFlags(t *testing.T) {
	is := is.New(t)
	cli, err := parseFlags([]string{"--model", "a,b", "--model", "c", "--slots", "3", "--drop-after", "2"}, io.Discard)
	is.NoErr(err) // valid flags
	s, err := simengine.New(cli.opts...)
	is.NoErr(err)                                   // options accepted
	is.Equal(s.Models(), []string{"a", "b", "c"})   // repeatable, comma-separated models
	is.Equal(s.Faults().DropAfter, 2)               // fault flag applied
	is.Equal(s.Faults().DropCount, simengine.Every) // to every request by default
	is.Equal(cli.addr, "127.0.0.1:0")               // default address
}

func TestRunRejectsBadFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--nope"}},
		{"zero slots", []string{"--slots", "0"}},
		{"bad flavor", []string{"--flavor", "tgi"}},
		{"stray argument", []string{"extra"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(run(context.Background(), tc.args, io.Discard, io.Discard), 2) // usage error
		})
	}
}

func TestRunServesUntilCanceled(t *testing.T) {
	is := is.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &firstLine{line: make(chan string, 1)}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--addr", "127.0.0.1:0", "--flavor", "vllm"}, out, io.Discard) }()
	var line string
	select {
	case line = <-out.line:
	case <-time.After(5 * time.Second):
		t.Fatal("no listening line")
	}
	url, ok := strings.CutPrefix(line, "listening on ")
	is.True(ok)                                          // first line announces the URL
	is.True(strings.HasPrefix(url, "http://127.0.0.1:")) // bound to loopback
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get(url + "/health")
	is.NoErr(err) // the server answers
	resp.Body.Close()
	client.CloseIdleConnections()
	is.Equal(resp.StatusCode, http.StatusOK) // healthy
	cancel()
	is.Equal(<-code, 0) // clean exit on cancel
}
