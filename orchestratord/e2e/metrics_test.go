package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §8: after a known mix of tasks driven through the real binary,
// every counter and every histogram's sample count equals what happened,
// the gauges are back at rest, and `promtool check metrics` finds nothing.

// The mixes run on cluster()'s single pool.
const (
	mixPool   = "sim-0"
	mixEngine = "llamacpp"
)

// tally is what a test did, in the series that must show it.
type tally struct {
	want   map[string]float64
	tokens int
}

func newTally() *tally { return &tally{want: map[string]float64{}} }

// admitted: a task entered the queue (engine as requested, or "any").
func (w *tally) admitted(engine, priority string) {
	w.want[key("orchd_tasks_enqueued_total", "engine", engine, "priority", priority)]++
}

// ran: a task started on the pool and ended with outcome after streaming
// tokens token frames.
func (w *tally) ran(priority, outcome string, tokens int) {
	w.want[key("orchd_tasks_started_total", "engine", mixEngine, "pool_id", mixPool, "priority", priority)]++
	w.want[key("orchd_tasks_completed_total", "engine", mixEngine, "pool_id", mixPool, "outcome", outcome)]++
	w.want[key("orchd_queue_wait_seconds_count", "priority", priority)]++
	if tokens > 0 {
		w.want[key("orchd_first_token_latency_seconds_count", "engine", mixEngine, "pool_id", mixPool, "priority", priority)]++
		w.want[key("orchd_decode_duration_seconds_count", "engine", mixEngine, "pool_id", mixPool)]++
		w.want[key("orchd_tokens_out_total", "engine", mixEngine, "pool_id", mixPool)] += float64(tokens)
		w.tokens += tokens
	}
}

func (w *tally) canceled(reason string) {
	w.want[key("orchd_tasks_canceled_total", "reason", reason)]++
}

// refused: a 429 (or an eviction, reason "") under policy.
func (w *tally) refused(reason, policy string) {
	if reason != "" {
		w.want[key("orchd_tasks_rejected_total", "reason", reason)]++
	}
	w.want[key("orchd_admission_backpressure_events_total", "policy", policy)]++
}

// check compares a scrape with the tally: every counter and histogram count
// of the orchd_ families exactly (what the tally does not name must be 0),
// then the gauges at rest, then promtool.
func (w *tally) check(t *testing.T, o *proc, slots int) {
	t.Helper()
	settle(t, o)
	s := scrapeMetrics(t, o)
	got := s.counts()
	for k, v := range w.want {
		t.Run(k, func(t *testing.T) {
			is := is.New(t)
			g, ok := got[k]
			is.True(ok)    // the series is exported
			is.Equal(g, v) // and counts exactly what happened
		})
	}
	for k, g := range got {
		if _, named := w.want[k]; named {
			continue
		}
		t.Run(k, func(t *testing.T) {
			is := is.New(t)
			is.Equal(g, 0.0) // nothing else moved
		})
	}
	t.Run("gauges at rest", func(t *testing.T) {
		is := is.New(t)
		is.Equal(s.gauge(key("orchd_queue_depth", "priority", "interactive")), 0.0) // queue drained
		is.Equal(s.gauge(key("orchd_queue_depth", "priority", "batch")), 0.0)       // queue drained
		is.Equal(s.gauge(key("orchd_active_leases", "pool_id", mixPool)), 0.0)      // every lease returned
		is.Equal(s.gauge(key("orchd_pool_slots_free", "pool_id", mixPool)), float64(slots))
		is.Equal(s.gauge(key("orchd_pool_ready", "pool_id", mixPool)), 1.0) // the pool serves
		is.Equal(s.gauge(key("orchd_nodes_online")), 1.0)                   // the static node
	})
	t.Run("promtool check metrics", func(t *testing.T) {
		path := promtoolPath(t)
		if path == "" {
			t.Skip("promtool not on PATH and ORCHD_PROMTOOL not set; `make test` sets it and then requires it")
		}
		is := is.New(t)
		out, err := promtoolCheck(t, path, s.raw)
		is.NoErr(err)     // promtool ran and passed
		is.Equal(out, "") // with no lint finding
	})
}

// settle waits until no task holds a lease and nothing is queued: every
// series of the mix has moved by then.
func settle(t *testing.T, o *proc) {
	t.Helper()
	waitFor(t, 10*time.Second, "leases returned and queue empty", func() bool {
		s := scrapeMetrics(t, o)
		return s.gauge(key("orchd_active_leases", "pool_id", mixPool)) == 0 &&
			s.gauge(key("orchd_queue_depth", "priority", "interactive")) == 0 &&
			s.gauge(key("orchd_queue_depth", "priority", "batch")) == 0
	})
}

// finished streams a task to its end and returns the terminal frame and its
// token count.
func finished(t *testing.T, o *proc, body string) (frame, int) {
	t.Helper()
	return follow(t, o, admit(t, o, body)).end(t)
}

func cancelTask(t *testing.T, o *proc, id string) {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/tasks/"+id+"/cancel", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("cancel %s: %d %s", id, resp.StatusCode, raw)
	}
}

// refusedWith posts a task and expects a 429 with code.
func refusedWith(t *testing.T, o *proc, body string, code wire.ErrorCode) {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/tasks", body)
	env := decode[wire.ErrorEnvelope](t, raw)
	if resp.StatusCode != http.StatusTooManyRequests || env.Code != code {
		t.Fatalf("want 429 %s, got %d %s", code, resp.StatusCode, raw)
	}
}

func errorCode(t *testing.T, f frame) wire.ErrorCode {
	t.Helper()
	if f.Event != wire.EventError {
		t.Fatalf("want an error frame, got %s %s", f.Event, f.Data)
	}
	return decode[wire.ErrorFrame](t, f.Data).Code
}

// TestMetricsAfterAMixUnderTheRejectPolicy: completed (one naming its
// engine, one batch), failed before the first token after every retry,
// failed mid-stream, canceled while running, canceled while queued,
// rejected by the full queue.
func TestMetricsAfterAMixUnderTheRejectPolicy(t *testing.T) {
	is := is.New(t)
	sim, o := cluster(t, "queue: {capacity: 2, policy: reject}\ndispatch: {retries: 2}\n", 1, "--token-delay", "1ms")
	waitPoolsReady(t, o, mixPool)
	w := newTally()

	last, n := finished(t, o, task(`,"max_tokens":4,"engine":"llamacpp"`))
	is.Equal(last.Event, wire.EventEnd) // completed
	is.Equal(n, 4)                      // every token
	w.admitted("llamacpp", "interactive")
	w.ran("interactive", "completed", n)

	last, n = finished(t, o, task(`,"max_tokens":3,"priority":"batch"`))
	is.Equal(last.Event, wire.EventEnd) // completed
	w.admitted("any", "batch")
	w.ran("batch", "completed", n)

	simFaults(t, sim, `{"fail_before_first":3}`) // the first attempt and both retries
	last, n = finished(t, o, task(`,"max_tokens":3`))
	is.Equal(errorCode(t, last), wire.CodeEngineError) // failed once retries ran out
	is.Equal(n, 0)                                     // before any token
	w.admitted("any", "interactive")
	w.ran("interactive", "failed", 0) // started once, however many attempts

	simFaults(t, sim, `{"drop_after":2}`)
	last, n = finished(t, o, task(`,"max_tokens":10`))
	is.Equal(errorCode(t, last), wire.CodeWorkerReset) // the engine vanished mid-stream
	is.Equal(n, 2)                                     // after two tokens
	w.admitted("any", "interactive")
	w.ran("interactive", "failed", n)

	simFaults(t, sim, `{"hang_after":1}`) // holds the only slot after one token
	held := admit(t, o, task(`,"max_tokens":10`))
	heldStream := follow(t, o, held)
	heldStream.waitFirstToken(t)
	w.admitted("any", "interactive")
	queued := admit(t, o, task(`,"max_tokens":3`))
	queuedStream := follow(t, o, queued)
	w.admitted("any", "interactive")
	dropped := admit(t, o, task(`,"max_tokens":3,"priority":"batch"`))
	droppedStream := follow(t, o, dropped)
	w.admitted("any", "batch")
	is.Equal(dropped.QueuePosition, 1) // behind the interactive task
	refusedWith(t, o, task(``), wire.CodeAdmissionReject)
	w.refused("admission_reject", "reject")

	mid := scrapeMetrics(t, o)
	is.Equal(mid.gauge(key("orchd_queue_depth", "priority", "interactive")), 1.0) // one waiting of each
	is.Equal(mid.gauge(key("orchd_queue_depth", "priority", "batch")), 1.0)
	is.Equal(mid.gauge(key("orchd_active_leases", "pool_id", mixPool)), 1.0)   // the held slot
	is.Equal(mid.gauge(key("orchd_pool_slots_free", "pool_id", mixPool)), 0.0) // none free

	cancelTask(t, o, dropped.TaskID) // canceled while queued
	last, n = droppedStream.end(t)
	is.Equal(decode[wire.EndFrame](t, last.Data).Canceled, true) // ended canceled
	is.Equal(n, 0)                                               // never ran
	w.canceled("client")

	cancelTask(t, o, held.TaskID) // canceled while running
	last, n = heldStream.end(t)
	is.Equal(decode[wire.EndFrame](t, last.Data).Canceled, true) // ended canceled
	is.Equal(n, 1)                                               // after its one token
	w.canceled("client")
	w.ran("interactive", "canceled", n)

	last, n = queuedStream.end(t) // the slot is free: the queued task runs
	is.Equal(last.Event, wire.EventEnd)
	w.ran("interactive", "completed", n)

	w.check(t, o, 1)
}

// TestMetricsAfterAMixUnderTheDropLRUPolicy: a queued batch task evicted by
// an interactive one, a batch task refused because nothing of equal or lower
// priority waits, a task canceled while running, one completed, and an
// OpenAI-compatible client that went away mid-stream.
func TestMetricsAfterAMixUnderTheDropLRUPolicy(t *testing.T) {
	is := is.New(t)
	sim, o := cluster(t, "queue: {capacity: 1, policy: drop-lru}\n", 1, "--token-delay", "1ms")
	waitPoolsReady(t, o, mixPool)
	w := newTally()

	simFaults(t, sim, `{"hang_after":1}`)
	held := admit(t, o, task(`,"max_tokens":10`))
	heldStream := follow(t, o, held)
	heldStream.waitFirstToken(t)
	w.admitted("any", "interactive")

	victim := admit(t, o, task(`,"max_tokens":3,"priority":"batch"`))
	victimStream := follow(t, o, victim)
	w.admitted("any", "batch")
	winner := admit(t, o, task(`,"max_tokens":3`)) // the queue is full: evicts the batch task
	winnerStream := follow(t, o, winner)
	w.admitted("any", "interactive")
	last, n := victimStream.end(t)
	is.Equal(errorCode(t, last), wire.CodeQueueFullDropLRU) // evicted
	is.Equal(n, 0)
	w.canceled("evicted")
	w.refused("", "drop-lru")

	refusedWith(t, o, task(`,"priority":"batch"`), wire.CodeQueueFullDropLRU) // nothing of equal or lower priority
	w.refused("queue_full_drop_lru", "drop-lru")

	cancelTask(t, o, held.TaskID)
	last, n = heldStream.end(t)
	is.Equal(decode[wire.EndFrame](t, last.Data).Canceled, true) // canceled while running
	w.canceled("client")
	w.ran("interactive", "canceled", n)

	last, n = winnerStream.end(t)
	is.Equal(last.Event, wire.EventEnd) // ran once the slot was free
	w.ran("interactive", "completed", n)

	// An OpenAI-compatible client that leaves mid-stream cancels its task.
	simFaults(t, sim, `{"hang_after":1}`)
	ctx, cancel := context.WithCancel(context.Background())
	s := openV1Stream(t, ctx, o.URL+"/v1/chat/completions",
		`{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":true}`)
	waitFor(t, 10*time.Second, "a content chunk", func() bool {
		data, err := s.next()
		return err == nil && strings.Contains(data, `"content":"`) && !strings.Contains(data, `"content":""`)
	})
	cancel()
	w.admitted("any", "interactive")
	w.canceled("disconnect")
	w.ran("interactive", "canceled", 1) // the one token before the engine hung

	w.check(t, o, 1)
	is.True(w.tokens > 0) // tokens were counted at all
	t.Log("tokens streamed in the mix: " + strconv.Itoa(w.tokens))
}
