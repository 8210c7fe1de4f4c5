package simengine

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func completionText(t *testing.T, body string) string {
	t.Helper()
	_, ts := startServer(t, WithSeed(7))
	status, _, out := fetch(t, ts, "/v1/completions", body)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, out)
	}
	return field[[]map[string]any](t, out, "choices")[0]["text"].(string)
}

func TestTextIsDeterministic(t *testing.T) {
	is := is.New(t)
	a := completionText(t, `{"prompt":"same prompt","max_tokens":12}`)
	b := completionText(t, `{"prompt":"same prompt","max_tokens":12}`)
	prefix := completionText(t, `{"prompt":"same prompt","max_tokens":5}`)
	otherSeed := completionText(t, `{"prompt":"same prompt","max_tokens":12,"seed":8}`)
	otherPrompt := completionText(t, `{"prompt":"another prompt","max_tokens":12}`)
	is.Equal(a, b)                        // same (seed, prompt, n): same text
	is.True(strings.HasPrefix(a, prefix)) // fewer tokens: a prefix of the same text
	is.True(a != otherSeed)               // another seed: other text
	is.True(a != otherPrompt)             // another prompt: other text
}

func TestVocabularyWordsCarryALeadingSpace(t *testing.T) {
	is := is.New(t)
	v := newVocab()
	spaced := 0
	for _, w := range v {
		if strings.HasPrefix(w, " ") {
			spaced++
		}
	}
	is.True(spaced*10 >= len(v)*9) // at least 90% of the tokens are " word"
	is.Equal(len(v), 64)           // the vocabulary has its 64 tokens
}

func TestStreamAndBodyCarryTheSameText(t *testing.T) {
	is := is.New(t)
	_, ts := startServer(t)
	_, _, stream := fetch(t, ts, "/completion", `{"prompt":"p","n_predict":20,"stream":true}`)
	var sb strings.Builder
	for _, f := range sseData(stream) {
		sb.WriteString(field[string](t, f, "content"))
	}
	_, _, body := fetch(t, ts, "/completion", `{"prompt":"p","n_predict":20}`)
	is.Equal(sb.String(), field[string](t, body, "content")) // streamed pieces add up to the body's content
	is.Equal(len(field[[]int](t, body, "tokens")), 20)       // the body lists every token id
}

func TestSlotsLimitConcurrency(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t, WithSlots(2), WithFaults(Faults{HangAfter: 1, HangCount: Every, DropAfter: -1}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 4)
	for range 4 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/completion", strings.NewReader(`{"prompt":"x","stream":true}`))
			resp, err := ts.Client().Do(req)
			if err == nil {
				_, err = bufio.NewReader(resp.Body).ReadString('\x00')
				resp.Body.Close()
			}
			done <- err
		}()
	}
	waitFor(t, "two active and two waiting", func() bool { st := s.Stats(); return st.Active == 2 && st.Waiting == 2 })
	_, slots := get(t, ts, "/slots")
	is.Equal(strings.Count(slots, `"is_processing":true`), 2) // both slots busy
	cancel()
	for range 4 {
		<-done
	}
	is.NoErr(s.WaitIdle(context.Background())) // every handler returned
	st := s.Stats()
	is.Equal(st.Active, 0)                // nothing active
	is.Equal(st.ClientClosed, st.Started) // every started generation ended by the client leaving
	is.True(st.Hung >= 2)                 // the slot holders hung after one token
	is.True(st.Started >= 2)              // the two slot holders started
}

func TestClientCloseIsCounted(t *testing.T) {
	is := is.New(t)
	s, ts := startServer(t, WithTokenDelay(5*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"x","max_tokens":1000,"stream":true}`))
	req.Header.Set("X-Request-Id", "abc")
	resp, err := ts.Client().Do(req)
	is.NoErr(err) // stream opened
	fr := frameReader{bufio.NewReader(resp.Body)}
	_, err = fr.next()
	is.NoErr(err)                                       // a first chunk arrived
	is.Equal(s.Stats().ActiveIDs, []string{"cmpl-abc"}) // the active request is listed by its id
	cancel()
	resp.Body.Close()
	is.NoErr(s.WaitIdle(context.Background())) // the generation noticed
	st := s.Stats()
	is.Equal(st.ClientClosed, uint64(1)) // counted as client-closed
	is.Equal(st.Completed, uint64(0))    // not completed
	is.Equal(st.Hung, uint64(0))         // not a fault
}

func TestServeStopsOnContext(t *testing.T) {
	is := is.New(t)
	s, err := New()
	is.NoErr(err) // defaults are valid
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	is.NoErr(err) // listening
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, time.Second) }()
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post("http://"+ln.Addr().String()+"/completion", "application/json", strings.NewReader(`{"prompt":"x","n_predict":2}`))
	is.NoErr(err) // served
	resp.Body.Close()
	client.CloseIdleConnections()
	is.Equal(resp.StatusCode, http.StatusOK) // generation answered
	cancel()
	is.NoErr(<-served) // Serve returns nil on shutdown
}

func TestNewValidatesOptions(t *testing.T) {
	cases := []struct {
		name string
		opt  Option
	}{
		{"no models", WithModels()},
		{"empty model", WithModels("a", "")},
		{"zero slots", WithSlots(0)},
		{"tiny ctx", WithCtx(1)},
		{"negative delay", WithTokenDelay(-time.Second)},
		{"flavor", WithFlavor("tgi")},
		{"eos", WithEOSAfter(-1)},
		{"faults", WithFaults(Faults{FailBeforeFirst: -2})},
		{"clock", WithClock(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := New(tc.opt)
			is.True(errors.Is(err, ErrInvalidOption)) // refused with the sentinel
		})
	}
}

func TestPromptTokenCount(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"", 1}, {"one", 2}, {"  two  words ", 3}, {"a\nb\tc", 4},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			is := is.New(t)
			is.Equal(countPromptTokens(tc.in), tc.want) // BOS plus one token per word
		})
	}
}
