package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §3 "Sessions", §2 (BUDGET_EXHAUSTED, unlimited budgets), §9
// (sessions on the OpenAI surface).

// admitWithHeaders posts a task, expects 202 and returns the admission and
// its headers.
func admitWithHeaders(t *testing.T, o *proc, body string) (wire.AdmissionResponse, http.Header) {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("admit: %d %s", resp.StatusCode, raw)
	}
	return decode[wire.AdmissionResponse](t, raw), resp.Header
}

// streamWithHeaders reads a task's event stream to its end and returns the
// response headers (checked against the OpenAPI) and the frames.
func streamWithHeaders(t *testing.T, o *proc, adm wire.AdmissionResponse) (http.Header, []frame) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL+adm.Streams.SSE, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream %s: %d", adm.TaskID, resp.StatusCode)
	}
	checkContract(t, req, resp, nil)
	frames, err := readFrames(resp.Body, nil)
	if err != nil {
		t.Fatalf("stream %s: %v", adm.TaskID, err)
	}
	return resp.Header, frames
}

// headerInt reads an integer header; -1 when absent.
func headerInt(t *testing.T, h http.Header, name string) int64 {
	t.Helper()
	v := h.Get(name)
	if v == "" {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %q is not an integer", name, v)
	}
	return n
}

func TestSessionBudgetCountsDownAndRunsOut(t *testing.T) {
	_, o := cluster(t, "sessions: {ttl_ms: 600000, cost_per_token: 0.25, budgets: {tokens: 20, cost: 100}}\n", 2)
	waitPoolsReady(t, o, "sim-0")
	body := task(`,"session_id":"sess-b","max_tokens":8`)

	is := is.New(t)
	wantAdmitted := []int64{20, 12, 4} // 8 tokens spent per turn
	for turn, want := range wantAdmitted {
		adm, h := admitWithHeaders(t, o, body)
		is.Equal(headerInt(t, h, wire.HeaderBudgetTokensRemaining), want)                     // the 202 counts down
		is.Equal(h.Get(wire.HeaderBudgetCostRemaining), fmt.Sprint(100-float64(turn)*8*0.25)) // 8 tokens × 0.25 per turn
		is.Equal(h.Get(wire.HeaderBudgetTimeRemainingMs), "")                                 // unlimited: no header
		spent := max(want-8, 0)
		sh, frames := streamWithHeaders(t, o, adm)
		is.Equal(lastFrame(t, frames).Event, wire.EventEnd) // the turn ran
		left := headerInt(t, sh, wire.HeaderBudgetTokensRemaining)
		is.True(left == want || left == spent) // the live stream: before or after this turn's spend
		sh, _ = streamWithHeaders(t, o, adm)
		is.Equal(headerInt(t, sh, wire.HeaderBudgetTokensRemaining), spent) // read again after the end: spent
	}

	resp, raw := call(t, "POST", o.URL+"/v2/tasks", body)
	is.Equal(resp.StatusCode, http.StatusTooManyRequests) // 4 tokens left: a fourth turn is refused
	env := decode[wire.ErrorEnvelope](t, raw)
	is.Equal(env.Code, wire.CodeBudgetExhausted)                                    // the code
	is.Equal(env.PolicyLabel, wire.PolicyBudget)                                    // the policy label
	is.True(*env.Retriable)                                                         // retriable
	is.True(*env.RetryAfterMs > 0)                                                  // once the session expires
	is.True(headerInt(t, resp.Header, wire.HeaderRetryAfter) >= 1)                  // Retry-After in seconds
	is.True(resp.Header.Get(wire.HeaderBackoffMs) != "")                            // X-Backoff-Ms
	is.Equal(headerInt(t, resp.Header, wire.HeaderBudgetTokensRemaining), int64(0)) // why: nothing left
	is.Equal(metricSum(t, o, `orchd_tasks_rejected_total{reason="budget_exhausted"}`), 1.0)

	resp, raw = call(t, "GET", o.URL+"/v2/sessions/sess-b", nil)
	is.Equal(resp.StatusCode, http.StatusOK) // the session
	s := decode[wire.Session](t, raw)
	is.Equal(s.SessionID, "sess-b")                  // its id
	is.Equal(s.Turns, 3)                             // three turns ran
	is.Equal(s.LastPoolID, "sim-0")                  // on the one pool
	is.True(s.KVWarmth)                              // which holds its context
	is.Equal(*s.TokensBudgetRemaining, int64(0))     // spent
	is.Equal(*s.CostBudgetRemaining, 94.0)           // 24 tokens × 0.25
	is.Equal(s.TimeBudgetRemainingMs, (*int64)(nil)) // unlimited: omitted
	is.True(s.TTLMsRemaining > 0 && s.TTLMsRemaining <= 600000)

	resp, _ = call(t, "DELETE", o.URL+"/v2/sessions/sess-b", nil)
	is.Equal(resp.StatusCode, http.StatusNoContent) // deleted
	resp, raw = call(t, "GET", o.URL+"/v2/sessions/sess-b", nil)
	is.Equal(resp.StatusCode, http.StatusNotFound)                       // gone
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeNotFound) // in the envelope
	resp, _ = call(t, "DELETE", o.URL+"/v2/sessions/sess-b", nil)
	is.Equal(resp.StatusCode, http.StatusNotFound) // unknown
	resp, _ = call(t, "GET", o.URL+"/v2/sessions/bad%20id", nil)
	is.Equal(resp.StatusCode, http.StatusBadRequest) // ids are validated

	_, h := admitWithHeaders(t, o, body)
	is.Equal(headerInt(t, h, wire.HeaderBudgetTokensRemaining), int64(20)) // a new session with fresh budgets

	_, h = admitWithHeaders(t, o, task(`,"max_tokens":2`))
	is.Equal(h.Get(wire.HeaderBudgetTokensRemaining), "") // no session: no budget headers
}

func TestOpenAIRequestUsesTheSession(t *testing.T) {
	_, o := cluster(t, "sessions: {budgets: {tokens: 10}}\n", 2)
	waitPoolsReady(t, o, "sim-0")
	is := is.New(t)
	chat := `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":6,"user":"sess-v1"}`

	resp, raw := call(t, "POST", o.URL+"/v1/chat/completions", chat)
	is.Equal(resp.StatusCode, http.StatusOK)                                         // answered
	is.Equal(headerInt(t, resp.Header, wire.HeaderBudgetTokensRemaining), int64(10)) // budget headers as on /v2
	c := decode[wire.ChatCompletion](t, raw)
	is.True(c.Usage.PromptTokens > 0) // the engine's prompt count

	resp, raw = call(t, "GET", o.URL+"/v2/sessions/sess-v1", nil)
	is.Equal(resp.StatusCode, http.StatusOK) // user named the session
	s := decode[wire.Session](t, raw)
	is.Equal(s.Turns, 1)                         // one turn
	is.Equal(*s.TokensBudgetRemaining, int64(4)) // 6 tokens spent

	s2 := openV1Stream(t, context.Background(), o.URL+"/v1/chat/completions",
		`{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":6,"stream":true}`, "X-Session-Id", "sess-v1")
	is.Equal(headerInt(t, s2.resp.Header, wire.HeaderBudgetTokensRemaining), int64(4)) // on the stream too
	data := s2.all(t)
	is.Equal(data[len(data)-1], wire.StreamDone) // streamed to the end

	resp, raw = call(t, "POST", o.URL+"/v1/chat/completions", chat)
	is.Equal(resp.StatusCode, http.StatusTooManyRequests) // spent
	var e wire.OpenAIError
	is.NoErr(jsonUnmarshal(raw, &e))                                                // the OpenAI error object
	is.Equal(e.Error.Code, string(wire.CodeBudgetExhausted))                        // with the contract's code
	is.True(headerInt(t, resp.Header, wire.HeaderRetryAfter) >= 1)                  // Retry-After kept
	is.Equal(headerInt(t, resp.Header, wire.HeaderBudgetTokensRemaining), int64(0)) // and the budget
}

func TestKVReuseKeepsEachSessionOnItsPool(t *testing.T) {
	simA := startSim(t, "--slots", "4")
	simB := startSim(t, "--slots", "4")
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\nplacement: {strategy: round-robin}\n", []poolCfg{
		{ID: "pool-a", Engine: "llamacpp", URL: simA.URL, Models: []string{"tiny"}, Slots: 4, CtxMax: 4096},
		{ID: "pool-b", Engine: "llamacpp", URL: simB.URL, Models: []string{"tiny"}, Slots: 4, CtxMax: 4096},
	})
	waitPoolsReady(t, o, "pool-a", "pool-b")
	is := is.New(t)

	first := map[string]string{} // session → pool of its first turn
	used := map[string]bool{}
	for i := range 4 {
		id := fmt.Sprint("kv-", i)
		adm := admit(t, o, task(`,"session_id":"`+id+`","max_tokens":3`))
		stream(t, o, adm)
		first[id] = status(t, o, adm.TaskID).PoolID
		used[first[id]] = true
	}
	is.Equal(len(used), 2) // round-robin spread the first turns over both pools

	for id, pool := range first {
		adm := admit(t, o, task(`,"session_id":"`+id+`","max_tokens":3,"kv_hint":"reuse"`))
		frames := stream(t, o, adm)
		is.Equal(status(t, o, adm.TaskID).PoolID, pool) // the second turn lands on the first turn's pool
		var warm bool
		for _, f := range frames {
			if f.Event == wire.EventMetrics {
				warm = warm || decode[wire.MetricsFrame](t, f.Data).KVWarmth
			}
		}
		is.True(warm) // and says its cache is warm
		_, raw := call(t, "GET", o.URL+"/v2/sessions/"+id, nil)
		s := decode[wire.Session](t, raw)
		is.Equal(s.LastPoolID, pool) // the session remembers it
		is.Equal(s.Turns, 2)         // two turns
	}
}
