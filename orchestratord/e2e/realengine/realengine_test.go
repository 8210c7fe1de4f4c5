//go:build realengine

package realengine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// The tests run in this order against one shared cluster; the last one
// kills Ollama and starts it again.

// TestTasksMatchEngineOutput: on both engine kinds the streamed tokens are
// exactly what Ollama itself answers, not streamed, for the same seed, and
// tokens_out is Ollama's eval_count.
func TestTasksMatchEngineOutput(t *testing.T) {
	for _, kind := range []wire.Engine{wire.EngineOllama, wire.EngineOpenAI} {
		t.Run(string(kind), func(t *testing.T) {
			is := is.New(t)
			waitIdle(t)
			const maxTokens, seed = 64, 42
			adm := admit(t, taskBody(kind, maxTokens, seed))
			frames := events(t, adm)
			is.Equal(last(t, frames).Event, wire.EventEnd) // completed
			end := decode[wire.EndFrame](t, last(t, frames).Data)
			text, n := tokens(t, frames)
			want := ollamaDirect(t, "/api/generate", map[string]any{"prompt": "The quick brown fox"}, maxTokens, seed)
			is.True(n > 0)                                // tokens arrived
			is.Equal(text, want.Response)                 // the engine's own output for the same seed
			is.Equal(end.TokensOut, want.EvalCount)       // the engine's eval_count
			is.Equal(end.FinishReason, wire.FinishLength) // max_tokens reached
			st := taskStatus(t, adm.TaskID)
			is.Equal(st.Engine, kind)              // ran on that engine kind
			is.Equal(st.State, wire.TaskCompleted) // completed
			checkTranscript(t, adm.TaskID, frames)
		})
	}
}

// chatAnswer is the part of an OpenAI chat completion or chunk the test reads.
type chatAnswer struct {
	ID      string `json:"id"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// TestOpenAIChat: /v1/chat/completions through orchestratord, streamed and
// not, gives Ollama's own chat answer for the same seed.
func TestOpenAIChat(t *testing.T) {
	is := is.New(t)
	waitIdle(t)
	const maxTokens, seed = 24, 7
	messages := []map[string]any{{"role": "user", "content": "Hello there"}}
	body := func(stream bool) map[string]any {
		b := map[string]any{"model": modelTag, "messages": messages, "max_tokens": maxTokens, "seed": seed,
			"temperature": 0.8, "top_p": 0.9, "stream": stream}
		if stream {
			b["stream_options"] = map[string]any{"include_usage": true}
		}
		return b
	}
	want := ollamaDirect(t, "/api/chat", map[string]any{"messages": messages}, maxTokens, seed)
	checkTask := func(id string) {
		t.Helper()
		frames := eventsOf(t, id)
		checkTranscript(t, id, frames)
		text, _ := tokens(t, frames)
		is.Equal(text, want.Message.Content) // the task's /v2 stream and transcript hold the same tokens
	}

	status, raw := do(t, http.MethodPost, env.orchd.URL+"/v1/chat/completions", body(false))
	is.Equal(status, http.StatusOK) // answered
	whole := decode[chatAnswer](t, raw)
	is.Equal(len(whole.Choices), 1)                                  // one choice
	is.Equal(whole.Choices[0].Message.Content, want.Message.Content) // Ollama's own answer
	is.Equal(whole.Usage.CompletionTokens, want.EvalCount)           // its eval_count
	is.Equal(*whole.Choices[0].FinishReason, "length")               // max_tokens reached
	checkTask(strings.TrimPrefix(whole.ID, "chatcmpl-"))

	waitIdle(t)
	raw, err := json.Marshal(body(true))
	is.NoErr(err) // encoded
	resp, err := http.Post(env.orchd.URL+"/v1/chat/completions", "application/json", bytes.NewReader(raw))
	is.NoErr(err) // sent
	defer resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)                                         // streaming
	is.True(strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")) // as SSE
	var text strings.Builder
	usage, done, id := 0, false, ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			break
		}
		chunk := decode[chatAnswer](t, []byte(data))
		id = chunk.ID
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
		if chunk.Usage != nil {
			usage = chunk.Usage.CompletionTokens
		}
	}
	is.True(done)                                 // ended with [DONE]
	is.Equal(text.String(), want.Message.Content) // the same answer, streamed
	is.Equal(usage, want.EvalCount)               // usage chunk with the eval_count
	checkTask(strings.TrimPrefix(id, "chatcmpl-"))
}

// TestCancelMidStream: after the 204 no token follows, and the engine stops
// generating (its runner goes idle) within a second.
func TestCancelMidStream(t *testing.T) {
	is := is.New(t)
	waitIdle(t)
	adm := admit(t, taskBody(wire.EngineOllama, 30000, 3))
	got := make(chan struct{})
	var once sync.Once
	count := 0
	read := make(chan []frame, 1)
	go func() {
		frames, _ := readEvents(context.Background(), env.orchd.URL+adm.Streams.SSE, func(f frame) {
			if f.Event == wire.EventToken {
				if count++; count == 50 {
					once.Do(func() { close(got) })
				}
			}
		})
		read <- frames
	}()
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no 50 tokens within 30 s")
	}
	busy, ticks, err := env.ollama.runnerBusy(200*time.Millisecond, 2)
	is.NoErr(err) // measured
	is.True(busy) // the runner is generating before the cancel
	t.Logf("runner used %d ticks in 200 ms while generating", ticks)

	status, _ := do(t, http.MethodPost, env.orchd.URL+"/v2/tasks/"+adm.TaskID+"/cancel", nil)
	is.Equal(status, http.StatusNoContent) // canceled
	canceledAt := time.Now()
	idle := false
	for !idle && time.Since(canceledAt) < time.Second {
		b, ticks, err := env.ollama.runnerBusy(100*time.Millisecond, 1)
		is.NoErr(err) // measured
		idle = !b
		t.Logf("after the 204: %d ticks in 100 ms", ticks)
	}
	is.True(idle) // the engine's generation is gone within a second
	t.Logf("runner idle %v after the 204", time.Since(canceledAt).Round(time.Millisecond))

	frames := <-read
	end := last(t, frames)
	is.Equal(end.Event, wire.EventEnd) // ended with end
	ef := decode[wire.EndFrame](t, end.Data)
	_, n := tokens(t, frames)
	is.True(ef.Canceled)                                         // canceled
	is.Equal(ef.TokensOut, n)                                    // no token frame after the terminal frame the 204 guarantees
	is.True(n >= 50 && n < 30000)                                // stopped mid-stream
	is.Equal(taskStatus(t, adm.TaskID).State, wire.TaskCanceled) // state
	checkTranscript(t, adm.TaskID, frames)
}

// tokenTimes is when a task's first and last token arrived.
type tokenTimes struct{ first, last time.Time }

// TestTwoSlotsThenQueue: two tasks generate at once on Ollama's two slots;
// a third queues with a position and runs when a slot frees.
func TestTwoSlotsThenQueue(t *testing.T) {
	is := is.New(t)
	waitIdle(t)
	a := admit(t, taskBody(wire.EngineOllama, 3000, 11))
	b := admit(t, taskBody(wire.EngineOllama, 3000, 12))
	waitState(t, a.TaskID, wire.TaskRunning)
	waitState(t, b.TaskID, wire.TaskRunning)
	c := admit(t, taskBody(wire.EngineOllama, 16, 13))
	is.Equal(c.QueuePosition, 0) // at the head of the queue, behind the two running
	st := taskStatus(t, c.TaskID)
	is.Equal(st.State, wire.TaskQueued)                        // queued while both slots are taken
	is.True(st.QueuePosition != nil && *st.QueuePosition == 0) // and reports its position

	var wg sync.WaitGroup
	times := make([]tokenTimes, 3)
	streams := make([][]frame, 3)
	for i, adm := range []wire.AdmissionResponse{a, b, c} {
		wg.Go(func() {
			frames, err := readEvents(context.Background(), env.orchd.URL+adm.Streams.SSE, func(f frame) {
				if f.Event == wire.EventToken {
					if times[i].first.IsZero() {
						times[i].first = f.At
					}
					times[i].last = f.At
				}
			})
			if err != nil {
				t.Errorf("events of %s: %v", adm.TaskID, err)
			}
			streams[i] = frames
		})
	}
	wg.Wait()
	for i, adm := range []wire.AdmissionResponse{a, b, c} {
		is.Equal(last(t, streams[i]).Event, wire.EventEnd)     // each completed
		is.Equal(streams[i][0].Event, wire.EventStarted)       // the stream starts with started
		is.Equal(taskStatus(t, adm.TaskID).PoolID, nativePool) // ran on the native pool
		checkTranscript(t, adm.TaskID, streams[i])
	}
	is.True(times[0].first.Before(times[1].last) && times[1].first.Before(times[0].last)) // the two generated at the same time
	sa, sb, sc := taskStatus(t, a.TaskID), taskStatus(t, b.TaskID), taskStatus(t, c.TaskID)
	is.True(*sc.StartedMs >= min(*sa.EndedMs, *sb.EndedMs)) // the third started once a slot was free
	cs := decode[wire.StartedFrame](t, streams[2][0].Data)
	is.Equal(cs.QueuePosition, 0)                                              // its stream reported the position
	is.Equal(decode[wire.EndFrame](t, last(t, streams[2]).Data).TokensOut, 16) // and it ran to the end
}

// TestNodeAgentReloadAgainstOllama drives the node agent's Ollama control
// (api.md §5 pool control) against the real server: a reload to a model
// Ollama does not have fails and leaves the pool on its model, a reload to
// the imported one loads it.
func TestNodeAgentReloadAgainstOllama(t *testing.T) {
	is := is.New(t)
	waitIdle(t)
	reload := func(model string) {
		status, _ := do(t, http.MethodPost, env.agent.URL+"/v2/pools/"+nativePool+"/reload", map[string]any{"new_model_ref": model})
		is.Equal(status, http.StatusAccepted) // the agent took the reload
	}
	reload("missing:1b")
	var native wire.Pool
	is.NoErr(env.waitPools(10*time.Second, func(p wire.Pool) bool {
		if p.PoolID == nativePool {
			native = p
			return p.LastError != ""
		}
		return true
	}))
	is.True(strings.Contains(native.LastError, "model 'missing:1b' not found")) // Ollama's own refusal
	is.True(native.Ready)                                                       // the pool stays on its model

	reload(modelName)
	is.NoErr(env.waitPools(10*time.Second, func(p wire.Pool) bool { return p.Ready && p.LastError == "" })) // loaded, error cleared
	adm := admit(t, taskBody(wire.EngineOllama, 8, 5))
	frames := events(t, adm)
	is.Equal(last(t, frames).Event, wire.EventEnd) // the pool serves
	checkTranscript(t, adm.TaskID, frames)
}

// TestKillOllamaMidStream: killing `ollama serve` mid-stream ends the task
// with WORKER_RESET; the node agent reports the pool not ready; a task
// admitted meanwhile waits and runs once Ollama is back on the same port.
func TestKillOllamaMidStream(t *testing.T) {
	is := is.New(t)
	waitIdle(t)
	adm := admit(t, taskBody(wire.EngineOllama, 30000, 21))
	got := make(chan struct{})
	var once sync.Once
	count := 0
	read := make(chan []frame, 1)
	go func() {
		frames, _ := readEvents(context.Background(), env.orchd.URL+adm.Streams.SSE, func(f frame) {
			if f.Event == wire.EventToken {
				if count++; count == 20 {
					once.Do(func() { close(got) })
				}
			}
		})
		read <- frames
	}()
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no 20 tokens within 30 s")
	}
	is.NoErr(syscall.Kill(-env.ollama.proc.cmd.Process.Pid, syscall.SIGKILL)) // ollama serve and its runner, at once
	<-env.ollama.proc.done

	frames := <-read
	end := last(t, frames)
	is.Equal(end.Event, wire.EventError)                                      // the stream ended with an error
	is.Equal(decode[wire.ErrorFrame](t, end.Data).Code, wire.CodeWorkerReset) // the engine vanished
	checkTranscript(t, adm.TaskID, frames)

	is.NoErr(env.waitPools(10*time.Second, func(p wire.Pool) bool { return !p.Ready })) // the node agent reports the pools not ready
	waiting := admit(t, taskBody(wire.EngineOllama, 16, 22))
	is.Equal(taskStatus(t, waiting.TaskID).State, wire.TaskQueued) // admitted; it waits for a ready pool (api.md §3)

	is.NoErr(env.ollama.start()) // Ollama back on the same port, the model still in its store
	frames = events(t, waiting)
	is.Equal(last(t, frames).Event, wire.EventEnd)                         // it ran once Ollama was back
	is.Equal(decode[wire.EndFrame](t, last(t, frames).Data).TokensOut, 16) // to the end
	checkTranscript(t, waiting.TaskID, frames)
	waitIdle(t)
}
