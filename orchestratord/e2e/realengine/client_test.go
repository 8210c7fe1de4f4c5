//go:build realengine

package realengine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// do sends one request with a JSON body (nil: none) and reads the answer.
func do(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// taskBody is a /v2 completion for the given engine kind: the native pool
// advertises "tiny", the OpenAI one what Ollama's /v1/models lists.
func taskBody(engine wire.Engine, maxTokens int, seed int64) map[string]any {
	model := modelName
	if engine == wire.EngineOpenAI {
		model = modelTag
	}
	return map[string]any{"workload": "completion", "model_ref": model, "engine": engine, "prompt": "The quick brown fox",
		"max_tokens": maxTokens, "seed": seed, "temperature": 0.8, "top_p": 0.9}
}

func admit(t *testing.T, body map[string]any) wire.AdmissionResponse {
	t.Helper()
	status, raw := do(t, http.MethodPost, env.orchd.URL+"/v2/tasks", body)
	if status != http.StatusAccepted {
		t.Fatalf("admit: %d %s", status, raw)
	}
	return decode[wire.AdmissionResponse](t, raw)
}

func taskStatus(t *testing.T, id string) wire.TaskStatus {
	t.Helper()
	status, raw := do(t, http.MethodGet, env.orchd.URL+"/v2/tasks/"+id, nil)
	if status != http.StatusOK {
		t.Fatalf("status %s: %d %s", id, status, raw)
	}
	return decode[wire.TaskStatus](t, raw)
}

// frame is one SSE frame and when it arrived.
type frame struct {
	ID    uint64
	Event string
	Data  json.RawMessage
	At    time.Time
}

// readEvents reads an SSE stream until it ends, handing each frame to
// onFrame (optional) as it arrives.
func readEvents(ctx context.Context, url string, onFrame func(frame)) ([]frame, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("events: %d %s", resp.StatusCode, b)
	}
	return parseSSE(resp.Body, onFrame)
}

func parseSSE(r io.Reader, onFrame func(frame)) ([]frame, error) {
	var out []frame
	var cur frame
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "" && cur.Event != "":
			cur.At = time.Now()
			out = append(out, cur)
			if onFrame != nil {
				onFrame(cur)
			}
			cur = frame{}
		case strings.HasPrefix(line, "id: "):
			_, _ = fmt.Sscan(line[4:], &cur.ID)
		case strings.HasPrefix(line, "event: "):
			cur.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Data = json.RawMessage(line[6:])
		}
	}
}

// events reads a task's whole stream.
func events(t *testing.T, adm wire.AdmissionResponse) []frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	frames, err := readEvents(ctx, env.orchd.URL+adm.Streams.SSE, nil)
	if err != nil {
		t.Fatalf("events of %s: %v", adm.TaskID, err)
	}
	return frames
}

// eventsOf reads the whole stream of a task by id (an OpenAI-compatible
// request is a task too; its id is the completion id without its prefix).
func eventsOf(t *testing.T, id string) []frame {
	t.Helper()
	return events(t, wire.AdmissionResponse{TaskID: id, Streams: wire.StreamURLs{SSE: "/v2/tasks/" + id + "/events"}})
}

// waitState polls a task's status until it is in state.
func waitState(t *testing.T, id string, state wire.TaskState) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for st := taskStatus(t, id); st.State != state; st = taskStatus(t, id) {
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s, not %s", id, st.State, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tokens returns the concatenated token texts of a stream and their count.
func tokens(t *testing.T, frames []frame) (string, int) {
	t.Helper()
	var b strings.Builder
	n := 0
	for _, f := range frames {
		if f.Event == wire.EventToken {
			b.WriteString(decode[wire.TokenFrame](t, f.Data).T)
			n++
		}
	}
	return b.String(), n
}

func last(t *testing.T, frames []frame) frame {
	t.Helper()
	if len(frames) == 0 {
		t.Fatal("empty stream")
	}
	return frames[len(frames)-1]
}

// checkTranscript waits for the task's transcript artifact and checks it
// holds exactly the frames that were streamed, tokens included.
func checkTranscript(t *testing.T, taskID string, streamed []frame) {
	t.Helper()
	var st wire.TaskStatus
	deadline := time.Now().Add(10 * time.Second)
	for st = taskStatus(t, taskID); st.TranscriptArtifactID == ""; st = taskStatus(t, taskID) {
		if time.Now().After(deadline) {
			t.Fatalf("no transcript for %s", taskID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	status, raw := do(t, http.MethodGet, env.orchd.URL+"/v2/artifacts/"+st.TranscriptArtifactID, nil)
	if status != http.StatusOK {
		t.Fatalf("transcript %s: %d %s", st.TranscriptArtifactID, status, raw)
	}
	art := decode[wire.Artifact](t, raw)
	var content struct {
		SSE string `json:"sse"`
	}
	if err := json.Unmarshal(art.Content, &content); err != nil {
		t.Fatal(err)
	}
	stored, err := parseSSE(strings.NewReader(content.SSE), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(streamed) {
		t.Fatalf("transcript of %s has %d frames, the stream had %d", taskID, len(stored), len(streamed))
	}
	for i, f := range stored {
		if f.ID != streamed[i].ID || f.Event != streamed[i].Event || !bytes.Equal(f.Data, streamed[i].Data) {
			t.Fatalf("transcript of %s differs at frame %d: %s %s, streamed %s %s", taskID, i, f.Event, f.Data, streamed[i].Event, streamed[i].Data)
		}
	}
	storedText, storedN := tokens(t, stored)
	text, n := tokens(t, streamed)
	if storedText != text || storedN != n {
		t.Fatalf("transcript tokens of %s differ from the streamed ones", taskID)
	}
}

// waitIdle waits until no task holds a slot of either pool and both are
// ready, so that each test starts from the same state.
func waitIdle(t *testing.T) {
	t.Helper()
	if err := env.waitPools(30*time.Second, func(p wire.Pool) bool { return p.Ready && p.ActiveLeases == 0 }); err != nil {
		t.Fatal(err)
	}
}

// ollamaResult is the part of Ollama's non-streamed /api/generate and
// /api/chat answers the tests compare with.
type ollamaResult struct {
	Response string `json:"response"`
	Message  struct {
		Content string `json:"content"`
	} `json:"message"`
	DoneReason string `json:"done_reason"`
	EvalCount  int    `json:"eval_count"`
}

// ollamaDirect asks Ollama itself, not streamed, with the sampling options
// the tasks carry.
func ollamaDirect(t *testing.T, path string, body map[string]any, maxTokens int, seed int64) ollamaResult {
	t.Helper()
	body["model"] = modelName
	body["stream"] = false
	body["options"] = map[string]any{"num_predict": maxTokens, "seed": seed, "temperature": 0.8, "top_p": 0.9}
	status, raw := do(t, http.MethodPost, env.ollama.URL()+path, body)
	if status != http.StatusOK {
		t.Fatalf("ollama %s: %d %s", path, status, raw)
	}
	return decode[ollamaResult](t, raw)
}
