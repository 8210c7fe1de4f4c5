package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// TestCancelRace cancels 1000 tasks at random moments — queued, being
// placed, connecting to the engine, streaming — and checks every time that
// the stream ends with exactly one `end` {"canceled": true} whose tokens_out
// equals the token frames before it (no token frame after the terminal
// frame that the 204 guarantees), and that the engine's request is gone.
func TestCancelRace(t *testing.T) {
	const (
		workers    = 8
		iterations = 1000
	)
	sims := make([]*proc, workers)
	pools := make([]poolCfg, workers)
	for w := range workers {
		sims[w] = startSim(t, "--slots", "1", "--token-delay", "1ms")
		pools[w] = poolCfg{ID: fmt.Sprintf("race-%d", w), Engine: "llamacpp", URL: sims[w].URL, Models: []string{"tiny"}, Slots: 1}
	}
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n", pools)
	var (
		mu        sync.Mutex
		closeLags []time.Duration
		outcomes  = map[string]int{}
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range iterations / workers {
				lag, outcome, err := cancelOnce(o, sims[w], pools[w].ID, time.Duration(rng.IntN(30000))*time.Microsecond)
				if err != nil {
					t.Errorf("worker %d iteration %d: %v", w, i, err)
					return
				}
				mu.Lock()
				closeLags = append(closeLags, lag)
				outcomes[outcome]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	is := is.New(t)
	for w, sim := range sims {
		st := simStats(t, sim)
		is.Equal(st.Active, 0)                                       // nothing left generating
		is.Equal(st.Started, st.ClientClosed+st.Completed+st.Failed) // every engine request ended
		_ = w
	}
	sort.Slice(closeLags, func(i, j int) bool { return closeLags[i] < closeLags[j] })
	t.Logf("cancel outcomes: %v; engine request gone after the 204: p50 %v p99 %v max %v",
		outcomes, closeLags[len(closeLags)/2], closeLags[len(closeLags)*99/100], closeLags[len(closeLags)-1])
}

// cancelOnce runs one task, cancels it after wait, and checks the stream.
func cancelOnce(o, sim *proc, pool string, wait time.Duration) (time.Duration, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body := task(`,"max_tokens":20000,"placement":{"mode":"pin","pin_pool_id":"` + pool + `","allow_fallback":false}`)
	resp, err := http.Post(o.URL+"/v2/tasks", "application/json", stringsReader(body))
	if err != nil {
		return 0, "", err
	}
	var adm wire.AdmissionResponse
	if err := decodeBody(resp, &adm); err != nil || resp.StatusCode != 202 {
		return 0, "", fmt.Errorf("admit: %d %v", resp.StatusCode, err)
	}
	type result struct {
		frames []frame
		err    error
	}
	read := make(chan result, 1)
	go func() {
		f, err := sse(ctx, o.URL+adm.Streams.SSE)
		read <- result{f, err}
	}()
	time.Sleep(wait) // a random moment, not a wait for state
	req, _ := http.NewRequest(http.MethodPost, o.URL+"/v2/tasks/"+adm.TaskID+"/cancel", nil)
	cresp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	cresp.Body.Close()
	if cresp.StatusCode != 204 {
		return 0, "", fmt.Errorf("cancel: %d", cresp.StatusCode)
	}
	sent := time.Now()
	var lag time.Duration
	for {
		if st, err := fetchSimStats(sim); err != nil {
			return 0, "", err
		} else if st.Active == 0 {
			lag = time.Since(sent)
			break
		}
		if time.Since(sent) > 2*time.Second {
			return 0, "", fmt.Errorf("engine request still open 2s after the 204")
		}
		time.Sleep(time.Millisecond)
	}
	r := <-read
	if r.err != nil {
		return 0, "", r.err
	}
	frames := r.frames
	if len(frames) == 0 || frames[0].Event != wire.EventStarted {
		return 0, "", fmt.Errorf("stream does not start with started: %v", frames)
	}
	last := frames[len(frames)-1]
	if last.Event != wire.EventEnd {
		return 0, "", fmt.Errorf("terminal frame %q, want end", last.Event)
	}
	var end wire.EndFrame
	if err := jsonUnmarshal(last.Data, &end); err != nil {
		return 0, "", err
	}
	_, n := tokensOf(frames)
	if !end.Canceled || end.TokensOut != n {
		return 0, "", fmt.Errorf("end %+v after %d token frames", end, n)
	}
	outcome := "queued"
	if n > 0 {
		outcome = "streaming"
	}
	return lag, outcome, nil
}
