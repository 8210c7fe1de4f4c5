package e2e

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §10: SIGTERM stops admitting, lets running streams finish within
// the grace period, ends the rest with end {canceled, "shutdown"}, exits 0.
func TestGracefulShutdown(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "shutdown: {grace_ms: 300}\n", 2, "--token-delay", "5ms")
	short := admit(t, o, task(`,"max_tokens":10`))   // finishes within the grace
	long := admit(t, o, task(`,"max_tokens":10000`)) // does not
	queued := admit(t, o, task(`,"max_tokens":5`))   // never starts: both slots are busy
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type result struct {
		frames []frame
		err    error
	}
	streams := map[string]chan result{}
	for _, a := range []wire.AdmissionResponse{short, long, queued} {
		ch := make(chan result, 1)
		streams[a.TaskID] = ch
		go func() {
			f, err := sse(ctx, o.URL+a.Streams.SSE)
			ch <- result{f, err}
		}()
	}
	waitFor(t, 5*time.Second, "long task streaming", func() bool { return status(t, o, long.TaskID).TokensOut > 0 })
	is.NoErr(o.cmd.Process.Signal(syscall.SIGTERM))
	waitFor(t, 5*time.Second, "admission closed", func() bool {
		resp, err := http.Post(o.URL+"/v2/tasks", "application/json", strings.NewReader(task("")))
		if err != nil {
			return true // already gone
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	for id, want := range map[string]struct {
		reason   wire.FinishReason
		canceled bool
	}{
		short.TaskID:  {wire.FinishLength, false},
		long.TaskID:   {wire.FinishShutdown, true},
		queued.TaskID: {wire.FinishShutdown, true},
	} {
		r := <-streams[id]
		is.NoErr(r.err)
		last := lastFrame(t, r.frames)
		is.Equal(last.Event, wire.EventEnd) // every stream got its terminal frame
		end := decode[wire.EndFrame](t, last.Data)
		is.Equal(end.FinishReason, want.reason) // finished, or ended by the shutdown
		is.Equal(end.Canceled, want.canceled)
	}
	err, exited := o.Exited(10 * time.Second)
	is.True(exited) // the process exits
	is.NoErr(err)   // with status 0
}

// ?verbose=true adds human narration to metrics frames.
func TestVerboseStream(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "1ms")
	adm := admit(t, o, task(`,"max_tokens":4`))
	plain := stream(t, o, adm)
	// Once the transcript is stored the frames leave memory: a verbose
	// reader is then served from the transcript, narration included.
	waitFor(t, 5*time.Second, "transcript", func() bool { return status(t, o, adm.TaskID).TranscriptArtifactID != "" })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	verbose, err := sse(ctx, o.URL+adm.Streams.SSEVerbose)
	is.NoErr(err)
	is.Equal(len(verbose), len(plain)) // same frames
	human := false
	for i, f := range verbose {
		if f.Event == wire.EventMetrics {
			m := decode[wire.MetricsFrame](t, f.Data)
			human = human || m.Human != ""
			is.Equal(decode[wire.MetricsFrame](t, plain[i].Data).Human, "") // plain readers get no narration
		}
	}
	is.True(human) // narration for verbose readers
}

// While queued, metrics frames report the queue position as it changes.
func TestQueuedTaskGetsPositionUpdates(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "2ms")
	first := admit(t, o, task(`,"max_tokens":400`))
	second := admit(t, o, task(`,"max_tokens":2`))
	third := admit(t, o, task(`,"max_tokens":2`))
	is.Equal(third.QueuePosition, 1) // behind the second
	_ = first
	frames := stream(t, o, third)
	positions := []int{}
	for _, f := range frames {
		if f.Event == wire.EventMetrics {
			if m := decode[wire.MetricsFrame](t, f.Data); m.QueuePosition != nil {
				positions = append(positions, *m.QueuePosition)
			}
		}
	}
	is.True(len(positions) > 0)              // updates while queued
	is.Equal(positions[len(positions)-1], 0) // down to the head of the queue
	_ = second
}
