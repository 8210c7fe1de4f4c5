package simengine

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestFailBeforeFirst(t *testing.T) {
	cases := []struct{ name, path, body, want string }{
		{"llamacpp", "/completion", `{"prompt":"x","stream":true,"n_predict":2}`,
			`{"error":{"code":500,"message":"simulated engine failure before the first token","type":"server_error"}}`},
		{"openai", "/v1/completions", `{"prompt":"x","stream":true,"max_tokens":2}`,
			`{"error":{"message":"simulated engine failure before the first token","type":"InternalServerError","param":null,"code":500}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			s, ts := startServer(t)
			status, _, out := fetch(t, ts, "/_sim/faults", `{"fail_before_first":2}`)
			is.Equal(status, http.StatusOK)                      // faults accepted
			is.Equal(field[int](t, out, "fail_before_first"), 2) // and reported back
			for range 2 {
				status, _, body := fetch(t, ts, tc.path, tc.body)
				is.Equal(status, http.StatusInternalServerError) // failed before any token
				is.Equal(body, tc.want)                          // with the engine's error body
			}
			status, _, _ = fetch(t, ts, tc.path, tc.body)
			is.Equal(status, http.StatusOK)        // the third request is served
			is.Equal(s.Stats().Failed, uint64(2))  // two failures counted
			is.Equal(s.Stats().Started, uint64(1)) // failures never took a slot
		})
	}
}

func TestDropAfter(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t)
	status, _, _ := fetch(t, ts, "/_sim/faults", `{"drop_after":3}`)
	is.Equal(status, http.StatusOK) // armed for one request
	resp := post(t, context.Background(), ts, "/v1/completions", `{"prompt":"x","stream":true,"max_tokens":10}`)
	defer resp.Body.Close()
	fr := frameReader{bufio.NewReader(resp.Body)}
	for range 3 {
		_, err := fr.next()
		is.NoErr(err) // the first three tokens arrive
	}
	_, err := fr.next()
	is.True(errors.Is(err, io.ErrUnexpectedEOF)) // then the connection is cut mid-stream
	status, _, body := fetch(t, ts, "/v1/completions", `{"prompt":"x","stream":true,"max_tokens":10}`)
	is.Equal(status, http.StatusOK)                      // the next request is whole
	is.True(strings.HasSuffix(body, "data: [DONE]\n\n")) // and ends properly
	is.NoErr(s.WaitIdle(context.Background()))           // all handlers returned
	is.Equal(s.Stats().Dropped, uint64(1))               // one drop counted
	is.Equal(s.Stats().Completed, uint64(1))             // one completion counted
}

func TestDropBeforeFirstToken(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t, WithFaults(Faults{DropAfter: 0, DropCount: 1, HangAfter: -1}))
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/completion", strings.NewReader(`{"prompt":"x","stream":true}`))
	_, err := ts.Client().Do(req)
	is.True(err != nil)                        // the connection closes before any response
	is.NoErr(s.WaitIdle(context.Background())) // handler returned
	is.Equal(s.Stats().Dropped, uint64(1))     // counted as dropped
}

func TestHangAfter(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t)
	status, _, _ := fetch(t, ts, "/_sim/faults", `{"hang_after":2}`)
	is.Equal(status, http.StatusOK) // armed
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp := post(t, ctx, ts, "/completion", `{"prompt":"x","stream":true,"n_predict":10}`)
	defer resp.Body.Close()
	fr := frameReader{bufio.NewReader(resp.Body)}
	for range 2 {
		_, err := fr.next()
		is.NoErr(err) // two tokens arrive
	}
	status, _ = get(t, ts, "/_sim/stats?wait_idle=1&timeout_ms=20")
	is.Equal(status, http.StatusGatewayTimeout) // the hung stream keeps the engine busy
	cancel()
	_, err := fr.next()
	is.True(err != nil) // the read ends when the client gives up
	status, out := get(t, ts, "/_sim/stats?wait_idle=1&timeout_ms=5000")
	is.Equal(status, http.StatusOK)                  // idle once the client left
	is.Equal(field[int](t, out, "hung"), 1)          // one hang counted
	is.Equal(field[int](t, out, "client_closed"), 1) // ended by the client
	is.Equal(field[int](t, out, "tokens_out"), 2)    // after two tokens
	is.Equal(s.Faults().HangCount, 0)                // the one-shot fault is spent
}

func TestLoadingFault(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		flavor                   Flavor
		status                   int
		want                     string
	}{
		{"llamacpp health", http.MethodGet, "/health", "", FlavorLlamaCpp, 503, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`},
		{"vllm health", http.MethodGet, "/health", "", FlavorVLLM, 503, ``},
		{"llamacpp generate", http.MethodPost, "/completion", `{"prompt":"x"}`, FlavorLlamaCpp, 503, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`},
		{"openai generate", http.MethodPost, "/v1/completions", `{"prompt":"x"}`, FlavorVLLM, 503, `{"error":{"message":"Loading model","type":"ServiceUnavailableError","param":null,"code":503}}`},
		{"models stay up", http.MethodGet, "/v1/models", "", FlavorVLLM, 200, `{"object":"list","data":[{"id":"tiny",`},
		{"props", http.MethodGet, "/props", "", FlavorLlamaCpp, 503, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			s, ts := startServer(t, WithFlavor(tc.flavor), WithFaults(Faults{Loading: true, DropAfter: -1, HangAfter: -1}))
			req, _ := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			resp, err := ts.Client().Do(req)
			is.NoErr(err) // answered
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			is.Equal(resp.StatusCode, tc.status)           // loading status
			is.True(strings.HasPrefix(string(b), tc.want)) // engine-shaped body
			is.True(s.Loading())                           // reported as loading
			status, _, _ := fetch(t, ts, "/_sim/faults", `{"loading":false}`)
			is.Equal(status, http.StatusOK) // cleared
			is.True(!s.Loading())           // ready again
		})
	}
}

func TestLoadTime(t *testing.T) {
	is := is.New(t)
	clock := newStepClock()
	_, ts := startServer(t, WithClock(clock.Now), WithLoadTime(time.Minute), WithFlavor(FlavorVLLM))
	status, body := get(t, ts, "/health")
	is.Equal(status, http.StatusServiceUnavailable) // loading right after start
	is.Equal(body, "")                              // vLLM answers with an empty body
	clock.Advance(2 * time.Minute)
	status, body = get(t, ts, "/health")
	is.Equal(status, http.StatusOK) // ready once the load time passed
	is.Equal(body, "")              // still an empty body
}

func TestFaultUpdateSemantics(t *testing.T) {
	n := func(v int) *int { return &v }
	cases := []struct {
		name string
		u    FaultUpdate
		want Faults
	}{
		{"arm drop once", FaultUpdate{DropAfter: n(4)}, Faults{DropAfter: 4, DropCount: 1, HangAfter: -1}},
		{"arm drop for all", FaultUpdate{DropAfter: n(4), DropCount: n(Every)}, Faults{DropAfter: 4, DropCount: Every, HangAfter: -1}},
		{"disarm hang", FaultUpdate{HangAfter: n(-1)}, Faults{DropAfter: -1, HangAfter: -1}},
		{"arm hang twice", FaultUpdate{HangAfter: n(0), HangCount: n(2)}, Faults{DropAfter: -1, HangAfter: 0, HangCount: 2}},
		{"fail", FaultUpdate{FailBeforeFirst: n(3)}, Faults{FailBeforeFirst: 3, DropAfter: -1, HangAfter: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tc.u.apply(Faults{DropAfter: -1, HangAfter: -1}), tc.want) // merged settings
		})
	}
}

func TestInvalidFaultUpdateIsRefused(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t)
	status, _, _ := fetch(t, ts, "/_sim/faults", `{"fail_before_first":-5}`)
	is.Equal(status, http.StatusBadRequest) // refused
	is.Equal(s.Faults().FailBeforeFirst, 0) // unchanged
	status, _, _ = fetch(t, ts, "/_sim/faults", `not json`)
	is.Equal(status, http.StatusBadRequest) // refused
}
