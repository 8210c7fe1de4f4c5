package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/matryer/is"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRelaysToTheEngineUntilCanceled(t *testing.T) {
	is := is.New(t)
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: "+string(body)+" at "+r.URL.Path+"\n\n")
	}))
	defer engine.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--target", engine.URL}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	is.NoErr(err)                                            // the first line
	is.True(strings.HasPrefix(line, "listening on http://")) // announces the address
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	resp, err := http.Post(url+"/v1/completions", "application/json", strings.NewReader(`{"x":1}`))
	is.NoErr(err) // relayed
	body, err := io.ReadAll(resp.Body)
	is.NoErr(err)
	is.NoErr(resp.Body.Close())
	is.Equal(string(body), "data: {\"x\":1} at /v1/completions\n\n") // the engine's answer, path and body kept
	http.DefaultClient.CloseIdleConnections()
	cancel()
	is.Equal(<-code, 0) // stops cleanly
}

func TestRefusesBadFlags(t *testing.T) {
	tests := []struct{ name, want string }{
		{"", "--target must be an absolute URL"},
		{"not a url", "--target must be an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var stderr bytes.Buffer
			is.Equal(run(context.Background(), []string{"--target", tt.name}, io.Discard, &stderr), 2) // usage error
			is.True(strings.Contains(stderr.String(), tt.want))                                        // says why
		})
	}
}
