package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §3: the event stream — resume, many and late readers, keep-alive,
// retention — and cancel.

func TestResumeWithLastEventID(t *testing.T) {
	_, o := cluster(t, "", 1, "--token-delay", "1ms")
	adm := admit(t, o, task(`,"max_tokens":20`))
	all := stream(t, o, adm)
	for _, after := range []int{0, 1, 2, 7, len(all) - 1, len(all)} {
		t.Run(strconv.Itoa(after), func(t *testing.T) {
			is := is.New(t)
			rest := stream(t, o, adm, "Last-Event-ID", strconv.Itoa(after))
			is.Equal(len(rest), len(all)-after) // exactly the frames after the id
			for i, f := range rest {
				is.Equal(f.ID, all[after+i].ID)                     // none lost, none twice
				is.Equal(string(f.Data), string(all[after+i].Data)) // same content
			}
		})
	}
	is := is.New(t)
	resp, raw := call(t, "GET", o.URL+adm.Streams.SSE, nil, "Last-Event-ID", "x")
	is.Equal(resp.StatusCode, 400) // a malformed Last-Event-ID
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeInvalidParams)
}

func TestManyReadersSeeTheSameStream(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "2ms")
	adm := admit(t, o, task(`,"max_tokens":30`))
	const readers = 20
	got := make([][]frame, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() { got[i] = stream(t, o, adm) })
	}
	wg.Wait()
	late := stream(t, o, adm) // after the end
	for i := range readers {
		is.Equal(len(got[i]), len(late)) // every reader got the whole stream
		for j := range late {
			is.Equal(string(got[i][j].Data), string(late[j].Data)) // identical frames
		}
	}
}

func TestKeepAliveWhileQuiet(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "events: {keepalive_ms: 50}\n", 1, "--first-token-delay", "400ms")
	adm := admit(t, o, task(`,"max_tokens":2`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", o.URL+adm.Streams.SSE, nil)
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err)
	defer resp.Body.Close()
	is.Equal(resp.Header.Get("Content-Type"), "text/event-stream") // SSE
	is.Equal(resp.Header.Get("Cache-Control"), "no-cache")         // not cached
	raw, err := io.ReadAll(resp.Body)
	is.NoErr(err)
	is.True(strings.Contains(string(raw), ": keep-alive\n\n")) // comments while waiting
}

func TestRetentionThenNotFound(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "events: {retention_ms: 300}\n", 1)
	adm := admit(t, o, task(`,"max_tokens":2`))
	stream(t, o, adm)
	waitFor(t, 10*time.Second, "retention to pass", func() bool {
		resp, _ := call(t, "GET", o.URL+adm.Streams.SSE, nil)
		return resp.StatusCode == 404
	})
	resp, raw := call(t, "GET", o.URL+adm.Streams.SSE, nil)
	is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeNotFound) // envelope
	is.Equal(resp.StatusCode, 404)
}

func TestCancelQueuedTask(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1, "--token-delay", "20ms")
	running := admit(t, o, task(`,"max_tokens":100`))
	waitFor(t, 5*time.Second, "running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
	queued := admit(t, o, task(""))
	resp, _ := call(t, "POST", o.URL+"/v2/tasks/"+queued.TaskID+"/cancel", nil)
	is.Equal(resp.StatusCode, 204) // canceled
	resp, _ = call(t, "POST", o.URL+"/v2/tasks/"+queued.TaskID+"/cancel", nil)
	is.Equal(resp.StatusCode, 204) // idempotent
	frames := stream(t, o, queued)
	last := frames[len(frames)-1]
	is.Equal(last.Event, wire.EventEnd) // ends with end
	end := decode[wire.EndFrame](t, last.Data)
	is.True(end.Canceled)                                          // canceled
	is.Equal(end.TokensOut, 0)                                     // nothing ran
	is.Equal(status(t, o, queued.TaskID).State, wire.TaskCanceled) // state
}

func TestCancelRunningTaskClosesTheEngineRequest(t *testing.T) {
	is := is.New(t)
	sim, o := cluster(t, "", 1, "--token-delay", "10ms")
	adm := admit(t, o, task(`,"max_tokens":1000`))
	ctx, cancelRead := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelRead()
	req, _ := http.NewRequestWithContext(ctx, "GET", o.URL+adm.Streams.SSE, nil)
	resp, err := http.DefaultClient.Do(req)
	is.NoErr(err)
	defer resp.Body.Close()
	tokens := make(chan struct{}, 1000)
	done := make(chan []frame, 1)
	go func() {
		frames, _ := readFrames(resp.Body, func(f frame) {
			if f.Event == wire.EventToken {
				tokens <- struct{}{}
			}
		})
		done <- frames
	}()
	for range 3 {
		<-tokens
	}
	r, _ := call(t, "POST", o.URL+"/v2/tasks/"+adm.TaskID+"/cancel", nil)
	is.Equal(r.StatusCode, 204) // canceled
	frames := <-done
	last := frames[len(frames)-1]
	is.Equal(last.Event, wire.EventEnd) // ends with end
	end := decode[wire.EndFrame](t, last.Data)
	is.True(end.Canceled)                           // canceled
	is.Equal(end.FinishReason, wire.FinishCanceled) // reason
	_, n := tokensOf(frames)
	is.Equal(end.TokensOut, n) // exactly the tokens streamed before the end
	waitFor(t, time.Second, "engine request closed", func() bool {
		st := simStats(t, sim)
		return st.Active == 0 && st.ClientClosed == 1
	})
	is.Equal(status(t, o, adm.TaskID).State, wire.TaskCanceled) // state
}
