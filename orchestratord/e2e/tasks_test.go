package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §3: admission, queue semantics, status, transcripts.

// cluster starts one simulated engine as pool sim-0 (model "tiny") and the
// daemon in front of it.
func cluster(t *testing.T, yaml string, slots int, simArgs ...string) (*proc, *proc) {
	t.Helper()
	sim := startSim(t, append([]string{"--slots", strconv.Itoa(slots)}, simArgs...)...)
	o := startOrchd(t, "nodes: {heartbeat_interval_ms: 100, timeout_ms: 300}\n"+yaml, []poolCfg{
		{ID: "sim-0", Engine: "llamacpp", URL: sim.URL, Models: []string{"tiny"}, Slots: slots, CtxMax: 4096},
	})
	return sim, o
}

func task(extra string) string {
	return `{"workload":"completion","model_ref":"tiny","prompt":"Hello there"` + extra + `}`
}

// admit posts a task and expects 202.
func admit(t *testing.T, o *proc, body string) wire.AdmissionResponse {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("admit: %d %s", resp.StatusCode, raw)
	}
	return decode[wire.AdmissionResponse](t, raw)
}

func stream(t *testing.T, o *proc, adm wire.AdmissionResponse, headers ...string) []frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	frames, err := sse(ctx, o.URL+adm.Streams.SSE, headers...)
	if err != nil {
		t.Fatalf("stream %s: %v", adm.TaskID, err)
	}
	return frames
}

func status(t *testing.T, o *proc, id string) wire.TaskStatus {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/v2/tasks/"+id, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %s: %d %s", id, resp.StatusCode, raw)
	}
	return decode[wire.TaskStatus](t, raw)
}

func tokensOf(frames []frame) (text string, n int) {
	var b strings.Builder
	for _, f := range frames {
		if f.Event == wire.EventToken {
			var tf wire.TokenFrame
			_ = json.Unmarshal(f.Data, &tf)
			b.WriteString(tf.T)
			n++
		}
	}
	return b.String(), n
}

func TestTaskStreamsToTheEnd(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 2, "--token-delay", "1ms")
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":16`))
	is.Equal(resp.StatusCode, 202) // accepted
	adm := decode[wire.AdmissionResponse](t, raw)
	is.Equal(resp.Header.Get("Location"), "/v2/tasks/"+adm.TaskID) // Location
	is.Equal(len(adm.TaskID), 26)                                  // a ULID
	is.Equal(adm.Streams.SSE, "/v2/tasks/"+adm.TaskID+"/events")   // stream URL

	frames := stream(t, o, adm)
	is.Equal(frames[0].Event, wire.EventStarted) // started first
	for i, f := range frames {
		is.Equal(f.ID, uint64(i+1)) // ids count up from 1
	}
	last := frames[len(frames)-1]
	is.Equal(last.Event, wire.EventEnd) // one terminal frame, last
	end := decode[wire.EndFrame](t, last.Data)
	_, n := tokensOf(frames)
	is.Equal(n, 16)                               // every token
	is.Equal(end.TokensOut, 16)                   // counted
	is.Equal(end.FinishReason, wire.FinishLength) // hit max_tokens
	is.True(!end.Canceled)                        // not canceled
	idx := 0
	sawMetrics := false
	for _, f := range frames {
		switch f.Event {
		case wire.EventToken:
			tf := decode[wire.TokenFrame](t, f.Data)
			is.Equal(tf.I, idx) // token indexes from 0, in order
			idx++
		case wire.EventMetrics:
			sawMetrics = sawMetrics || idx > 0
		}
	}
	is.True(sawMetrics) // a metrics frame after the first token

	var st wire.TaskStatus
	waitFor(t, 5*time.Second, "transcript", func() bool {
		st = status(t, o, adm.TaskID)
		return st.TranscriptArtifactID != ""
	})
	is.Equal(st.State, wire.TaskCompleted)            // completed
	is.Equal(st.TokensOut, 16)                        // tokens
	is.Equal(st.PoolID, "sim-0")                      // where it ran
	is.True(st.StartedMs != nil && st.EndedMs != nil) // timestamps

	resp, raw = call(t, "GET", o.URL+"/v2/artifacts/"+st.TranscriptArtifactID, nil)
	is.Equal(resp.StatusCode, 200) // transcript stored
	art := decode[wire.Artifact](t, raw)
	is.Equal(art.Kind, wire.ArtifactTrace)                                       // kind trace
	is.True(contains(art.Tags, "sse") && contains(art.Tags, "task:"+adm.TaskID)) // tags
	var content struct {
		Format string `json:"format"`
		SSE    string `json:"sse"`
		TaskID string `json:"task_id"`
	}
	is.NoErr(json.Unmarshal(art.Content, &content))
	is.Equal(content.Format, "text/event-stream") // the stream as streamed
	is.Equal(content.TaskID, adm.TaskID)          // whose
	stored, err := readFrames(strings.NewReader(content.SSE), nil)
	is.NoErr(err)
	is.Equal(len(stored), len(frames)) // the whole stream
	for i, f := range stored {
		is.Equal(f.ID, frames[i].ID)                     // same ids
		is.Equal(f.Event, frames[i].Event)               // same frames
		is.Equal(string(f.Data), string(frames[i].Data)) // byte for byte
	}
	late := stream(t, o, adm) // served from the transcript once the log left memory
	is.Equal(len(late), len(frames))
	meta := decode[wire.TranscriptMetadata](t, art.Metadata)
	is.Equal(meta.PoolID, "sim-0")                 // metadata: pool
	is.Equal(meta.ModelRef, "tiny")                // metadata: model
	is.Equal(meta.Engine, wire.Engine("llamacpp")) // metadata: engine
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestIdempotentTaskID(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "1ms")
	body := task(`,"task_id":"client-7","max_tokens":4`)
	a := admit(t, o, body)
	b := admit(t, o, body)
	is.Equal(a.TaskID, "client-7") // the client's id
	is.Equal(b.TaskID, a.TaskID)   // same admission
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"task_id":"client-7","max_tokens":5`))
	is.Equal(resp.StatusCode, 409) // different body
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeConflict)
}

func TestRejectPolicyWhenQueueFull(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "queue: {capacity: 2, policy: reject}\n", 1, "--token-delay", "20ms")
	running := admit(t, o, task(`,"max_tokens":200`))
	waitFor(t, 5*time.Second, "first task running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
	admit(t, o, task(""))
	admit(t, o, task(""))
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(""))
	is.Equal(resp.StatusCode, 429) // full
	env := decode[wire.ErrorEnvelope](t, raw)
	is.Equal(env.Code, wire.CodeAdmissionReject)    // code
	is.Equal(env.PolicyLabel, wire.PolicyReject)    // policy label
	is.True(env.Retriable != nil && *env.Retriable) // retriable
	is.True(env.RetryAfterMs != nil)                // backoff in the body
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	is.NoErr(err)
	is.True(ra >= 1)                                                                    // Retry-After ≥ 1 s
	is.Equal(resp.Header.Get("X-Backoff-Ms"), strconv.FormatInt(*env.RetryAfterMs, 10)) // same backoff
}

func TestDropLRUEvictsOldestOfEqualOrLowerPriority(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "queue: {capacity: 2, policy: drop-lru}\n", 1, "--token-delay", "20ms")
	running := admit(t, o, task(`,"max_tokens":200`))
	waitFor(t, 5*time.Second, "first task running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
	batch := admit(t, o, task(`,"priority":"batch"`))
	admit(t, o, task(`,"priority":"interactive"`))
	admit(t, o, task(`,"priority":"interactive"`)) // evicts the batch task
	frames := stream(t, o, batch)
	last := frames[len(frames)-1]
	is.Equal(last.Event, wire.EventError) // evicted
	is.Equal(decode[wire.ErrorFrame](t, last.Data).Code, wire.CodeQueueFullDropLRU)

	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"priority":"batch"`))
	is.Equal(resp.StatusCode, 429) // nothing of equal or lower priority to evict
	env := decode[wire.ErrorEnvelope](t, raw)
	is.Equal(env.Code, wire.CodeQueueFullDropLRU) // code
	is.Equal(env.PolicyLabel, wire.PolicyDropLRU) // label
}

func TestInteractiveBeforeBatch(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "5ms")
	running := admit(t, o, task(`,"max_tokens":100`))
	waitFor(t, 5*time.Second, "running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
	batch := admit(t, o, task(`,"priority":"batch","max_tokens":2`))
	inter := admit(t, o, task(`,"max_tokens":2`))
	is.Equal(*status(t, o, inter.TaskID).QueuePosition, 0) // interactive jumps ahead
	is.Equal(*status(t, o, batch.TaskID).QueuePosition, 1) // batch waits
	stream(t, o, batch)
	bs, is2 := status(t, o, batch.TaskID), status(t, o, inter.TaskID)
	is.True(*is2.StartedMs <= *bs.StartedMs) // interactive ran first
}

func TestDeadlines(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "20ms")
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"deadline_ms":0`))
	is.Equal(resp.StatusCode, 400) // non-positive deadline
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeDeadlineUnmet)

	running := admit(t, o, task(`,"max_tokens":100`))
	waitFor(t, 5*time.Second, "running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
	queued := admit(t, o, task(`,"deadline_ms":150`))
	frames := stream(t, o, queued)
	last := frames[len(frames)-1]
	is.Equal(last.Event, wire.EventError) // expired in the queue
	is.Equal(decode[wire.ErrorFrame](t, last.Data).Code, wire.CodeDeadlineUnmet)
	is.Equal(status(t, o, queued.TaskID).State, wire.TaskFailed) // failed

	// Measured speed: ~20 ms per token, so 200 tokens need ~4 s.
	stream(t, o, running)
	resp, raw = call(t, "POST", o.URL+"/v2/tasks", task(`,"deadline_ms":500,"expected_tokens":200`))
	is.Equal(resp.StatusCode, 400) // infeasible from measured throughput
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeDeadlineUnmet)
}

func TestCtxAboveEveryPool(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1)
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"ctx":100000`))
	is.Equal(resp.StatusCode, 400) // too large
	env := decode[wire.ErrorEnvelope](t, raw)
	is.True(strings.Contains(env.Message, "ctx")) // names ctx
}

func TestEngineFilter(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1)
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"engine":"vllm"`))
	is.Equal(resp.StatusCode, 503) // no vllm pool
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodePoolUnavailable)
}

func TestPredictedStartFromMeasuredDrain(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "2ms")
	for i := 0; i < 4; i++ { // measure the drain
		stream(t, o, admit(t, o, task(`,"max_tokens":10`)))
	}
	admit(t, o, task(`,"max_tokens":50`))
	admit(t, o, task(`,"max_tokens":50`))
	third := admit(t, o, task(`,"max_tokens":50`))
	is.True(third.QueuePosition >= 1)   // waits behind others
	is.True(third.PredictedStartMs > 0) // an estimate from the measured drain
}
