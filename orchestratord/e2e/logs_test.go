package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §2, §8: the daemon's stderr is zerolog JSON, one line per request
// and per task state change; every line a request causes carries its
// correlation id; no prompt, output text or bearer token is ever logged.

// logLines parses every stderr line of the daemon as a JSON object.
func logLines(t *testing.T, o *proc) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(o.Logs()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogsCarryTheCorrelationIDAndNoSecrets(t *testing.T) {
	const (
		token     = "tok-3f9c-never-logged"
		corr      = "corr-obs-1"
		readerID  = "corr-obs-reader"
		promptTxt = "PROMPT-MARKER-b7e1 please keep this out of the logs"
	)
	sim := startSim(t, "--slots", "1")
	o := startOrchd(t, "", []poolCfg{{ID: "sim-0", Engine: "llamacpp", URL: sim.URL, Models: []string{"tiny"}, Slots: 1, CtxMax: 4096}},
		"ORCHD_API_TOKEN="+token)
	waitPoolsReady(t, o, "sim-0")
	auth := []string{"Authorization", "Bearer " + token}
	body := `{"workload":"completion","model_ref":"tiny","prompt":"` + promptTxt + `","max_tokens":24,"session_id":"sess-obs"}`
	adm := decode[wire.AdmissionResponse](t, mustCall(t, "POST", o.URL+"/v2/tasks", body, 202,
		append([]string{"X-Correlation-Id", corr}, auth...)...))
	frames := stream(t, o, adm, append([]string{"X-Correlation-Id", readerID}, auth...)...)
	output, n := tokensOf(frames)
	waitFor(t, 5*time.Second, "the task's end line and the reader's access line", func() bool {
		logs := o.Logs()
		return strings.Contains(logs, `"task ended"`) && strings.Contains(logs, readerID)
	})
	lines := logLines(t, o)

	t.Run("every line of the submitting request carries its id", func(t *testing.T) {
		is := is.New(t)
		var msgs []string
		for _, l := range lines {
			if l["task_id"] == adm.TaskID && l["correlation_id"] == corr {
				msgs = append(msgs, l["message"].(string))
			}
			if l["task_id"] == adm.TaskID && strings.HasPrefix(l["message"].(string), "task ") {
				is.Equal(l["correlation_id"], corr) // a state change names the submitting request
				is.Equal(l["session_id"], "sess-obs")
			}
		}
		// The access line is written when the handler returns, which may
		// be after the task ended; the state changes are in order.
		var states []string
		for _, m := range msgs {
			if m != "request" {
				states = append(states, m)
			}
		}
		is.Equal(len(msgs), 4)                                                  // the access line and three state changes
		is.Equal(states, []string{"task queued", "task started", "task ended"}) // in order
	})
	t.Run("the state-change and access lines hold what an operator needs", func(t *testing.T) {
		is := is.New(t)
		byMsg := map[string]map[string]any{}
		for _, l := range lines {
			if l["task_id"] == adm.TaskID {
				byMsg[l["message"].(string)+" "+l["correlation_id"].(string)] = l
			}
		}
		started, ended := byMsg["task started "+corr], byMsg["task ended "+corr]
		is.Equal(started["pool_id"], "sim-0")     // where it runs
		is.Equal(started["node_id"], "static")    // on which node
		is.True(started["queue_wait_ms"] != nil)  // how long it waited
		is.Equal(ended["state"], "completed")     // the outcome
		is.Equal(ended["tokens_out"], float64(n)) // the tokens it streamed
		is.True(ended["queue_wait_ms"] != nil)    // queue wait again at the end
		submit, read := byMsg["request "+corr], byMsg["request "+readerID]
		is.Equal(submit["method"], "POST")       // the access line
		is.Equal(submit["route"], "/v2/tasks")   // the route template
		is.Equal(submit["status"], float64(202)) // the status
		is.True(submit["duration_ms"] != nil)    // the duration
		sum := sha256.Sum256([]byte(token))
		is.Equal(submit["identity"], hex.EncodeToString(sum[:3])) // a 6-hex fingerprint of the token
		is.Equal(read["route"], "/v2/tasks/:id/events")           // a template, not the path
		is.Equal(read["correlation_id"], readerID)                // the reader's own id
	})
	t.Run("no prompt, output or token", func(t *testing.T) {
		is := is.New(t)
		logs := o.Logs()
		is.True(n >= 24)                                       // a long enough output to look for
		is.True(!strings.Contains(logs, "PROMPT-MARKER-b7e1")) // no prompt text
		is.True(!strings.Contains(logs, output))               // no output text
		is.True(!strings.Contains(logs, token))                // no bearer token
	})
}

func TestConsoleLogFormatByFlag(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "", nil, "ORCHD_LOG_FORMAT=console")
	mustCall(t, "GET", o.URL+"/healthz", nil, 200)
	waitFor(t, 5*time.Second, "the access line", func() bool { return strings.Contains(o.Logs(), "/healthz") })
	first := strings.SplitN(o.Logs(), "\n", 2)[0]
	is.True(!strings.HasPrefix(first, "{")) // not JSON
	listening := ""
	for line := range strings.SplitSeq(o.Logs(), "\n") {
		if strings.Contains(line, "orchestratord listening") {
			listening = line
		}
	}
	is.True(listening != "" && !strings.HasPrefix(listening, "{")) // the console writer's text (after "sessions loaded")
}
