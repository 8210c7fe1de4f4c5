package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Issue 4, api.md §3 "Sessions": a session's turns and spent budgets
// survive a restart and a crash; an expired session does not come back.

// sessionDaemon starts the daemon on the data dir of cfg (see
// sessionConfig) and waits for its pool.
func sessionDaemon(t *testing.T, cfg string) *proc {
	t.Helper()
	o := start(t, bins.orchd, nil, "--addr", "127.0.0.1:0", "--config", cfg, "--log-level", "debug")
	waitPoolsReady(t, o, "sim-0")
	return o
}

// sessionConfig writes a config with yaml, one static pool on sim and a
// data dir under dir, and returns its path: every start with it sees the
// same stores.
func sessionConfig(t *testing.T, dir string, sim *proc, yaml string) string {
	t.Helper()
	body := yaml + "\ndata_dir: " + filepath.Join(dir, "data") + "\n" +
		"pools:\n  - {pool_id: sim-0, engine: llamacpp, url: \"" + sim.URL + "\", models: [tiny], slots_total: 2, ctx_max: 4096}\n"
	cfg := filepath.Join(dir, "orchd.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sessionTurn runs one task of max_tokens 8 on the session to its end and
// returns the tokens left that its 202 reported.
func sessionTurn(t *testing.T, o *proc, session string) int64 {
	t.Helper()
	adm, h := admitWithHeaders(t, o, task(`,"session_id":"`+session+`","max_tokens":8`))
	if ev := lastFrame(t, stream(t, o, adm)).Event; ev != wire.EventEnd {
		t.Fatalf("turn on %s ended with %s", session, ev)
	}
	return headerInt(t, h, wire.HeaderBudgetTokensRemaining)
}

// getSession reads GET /v2/sessions/{id}, expecting 200.
func getSession(t *testing.T, o *proc, id string) wire.Session {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/v2/sessions/"+id, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("session %s: %d %s", id, resp.StatusCode, raw)
	}
	return decode[wire.Session](t, raw)
}

// sigterm stops the daemon gracefully and expects exit status 0.
func sigterm(t *testing.T, o *proc) {
	t.Helper()
	if err := o.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err, exited := o.Exited(20 * time.Second)
	if !exited || err != nil {
		t.Fatalf("graceful stop: exited %v, %v\n%s", exited, err, o.Logs())
	}
}

func TestSessionBudgetsSurviveARestart(t *testing.T) {
	tests := []struct {
		name string
		stop func(*testing.T, *proc)
	}{
		{"SIGKILL", kill9},
		{"SIGTERM", sigterm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			sim := startSim(t, "--slots", "2")
			cfg := sessionConfig(t, t.TempDir(), sim, "sessions: {ttl_ms: 600000, cost_per_token: 0.5, budgets: {tokens: 30, time_ms: 600000, cost: 100}}")
			o := sessionDaemon(t, cfg)
			is.Equal(sessionTurn(t, o, "dur-a"), int64(30)) // first turn: the whole budget
			is.Equal(sessionTurn(t, o, "dur-a"), int64(22)) // 8 tokens spent
			sessionTurn(t, o, "dur-other")                  // another session, one turn
			// Stopped right after the last end frame was read: the spend
			// it reports must already be on disk.
			before := getSession(t, o, "dur-a")
			is.Equal(*before.TokensBudgetRemaining, int64(14)) // two turns spent
			tt.stop(t, o)

			o = sessionDaemon(t, cfg)
			after := getSession(t, o, "dur-a")
			is.Equal(after.Turns, 2)                                          // the turns
			is.Equal(after.LastPoolID, "sim-0")                               // the last pool
			is.Equal(*after.TokensBudgetRemaining, int64(14))                 // the tokens left
			is.Equal(*after.CostBudgetRemaining, *before.CostBudgetRemaining) // the cost left (16 tokens × 0.5)
			is.Equal(*after.CostBudgetRemaining, 92.0)
			is.Equal(*after.TimeBudgetRemainingMs, *before.TimeBudgetRemainingMs)              // the decode time left
			is.True(after.TTLMsRemaining > 0 && after.TTLMsRemaining <= before.TTLMsRemaining) // the TTL ran on from the stored expiry
			is.Equal(getSession(t, o, "dur-other").Turns, 1)                                   // the other session too

			is.Equal(sessionTurn(t, o, "dur-a"), int64(14)) // the count goes on from the restart
			is.Equal(sessionTurn(t, o, "dur-a"), int64(6))
			resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"session_id":"dur-a","max_tokens":8`))
			is.Equal(resp.StatusCode, http.StatusTooManyRequests)                       // spent: a restart did not reset it
			is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeBudgetExhausted) // BUDGET_EXHAUSTED
			is.Equal(getSession(t, o, "dur-a").Turns, 4)                                // four turns in all
		})
	}
}

func TestDeletedAndExpiredSessionsDoNotComeBack(t *testing.T) {
	is := is.New(t)
	sim := startSim(t, "--slots", "2")
	const ttlMs = 3000
	cfg := sessionConfig(t, t.TempDir(), sim, fmt.Sprintf("sessions: {ttl_ms: %d, budgets: {tokens: 20}}", ttlMs))
	o := sessionDaemon(t, cfg)
	sessionTurn(t, o, "dur-deleted")
	resp, _ := call(t, "DELETE", o.URL+"/v2/sessions/dur-deleted", nil)
	is.Equal(resp.StatusCode, http.StatusNoContent) // deleted
	sessionTurn(t, o, "dur-expiring")
	left := getSession(t, o, "dur-expiring")
	expires := time.Now().Add(time.Duration(left.TTLMsRemaining) * time.Millisecond)
	kill9(t, o) // on disk, not yet expired

	waitFor(t, 2*ttlMs*time.Millisecond, "the session's expiry", func() bool { return time.Now().After(expires) })
	o = sessionDaemon(t, cfg)
	is.True(strings.Contains(o.Logs(), `"loaded":0,"expired":1`)) // found expired on disk and removed
	for _, id := range []string{"dur-expiring", "dur-deleted"} {
		resp, raw := call(t, "GET", o.URL+"/v2/sessions/"+id, nil)
		is.Equal(resp.StatusCode, http.StatusNotFound)                       // not back
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeNotFound) // in the envelope
	}
	is.Equal(sessionTurn(t, o, "dur-expiring"), int64(20)) // a new session with fresh budgets
}
