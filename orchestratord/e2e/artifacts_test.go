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

// api.md §7: content addressing, idempotent create, limits, transcripts.

func TestArtifactContentAddressing(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "", nil)
	// The same document, keys in another order, other whitespace and number
	// spellings: one canonical JSON, one id.
	first := `{"kind":"plan","content":{"b":[1,true,null,"x"],"a":{"z":1.50,"y":"\u00e9"}},"tags":["t1"],"metadata":{"by":"test"}}`
	second := `{"content": { "a" : {"y":"é", "z":1.5}, "b":[1.0, true, null, "x"] }, "kind":"plan", "tags":["t2"]}`
	canonical := `{"content":{"a":{"y":"é","z":1.5},"b":[1,true,null,"x"]},"kind":"plan"}`
	sum := sha256.Sum256([]byte(canonical))
	wantID := hex.EncodeToString(sum[:])

	resp, raw := call(t, "POST", o.URL+"/v2/artifacts", first)
	is.Equal(resp.StatusCode, 201) // stored
	created := decode[wire.ArtifactCreated](t, raw)
	is.Equal(created.ID, wantID)               // SHA-256 of the canonical JSON of {kind, content}
	is.Equal(created.Digest, "sha256:"+wantID) // the digest names it
	is.Equal(created.Kind, wire.ArtifactPlan)  // kind
	is.Equal(created.Tags, []string{"t1"})     // tags

	resp, raw = call(t, "POST", o.URL+"/v2/artifacts", second)
	is.Equal(resp.StatusCode, 201) // idempotent
	again := decode[wire.ArtifactCreated](t, raw)
	is.Equal(again.ID, wantID)                   // the same id
	is.Equal(again.CreatedMs, created.CreatedMs) // stored once: the first one's time
	is.Equal(again.Tags, []string{"t1"})         // and the first one's document

	resp, raw = call(t, "GET", o.URL+"/v2/artifacts/"+wantID, nil)
	is.Equal(resp.StatusCode, 200) // read back
	art := decode[wire.Artifact](t, raw)
	is.Equal(art.ID, wantID)                        // id
	is.Equal(art.CreatedMs, created.CreatedMs)      // time
	is.Equal(string(art.Metadata), `{"by":"test"}`) // metadata kept
	var content map[string]any
	is.NoErr(json.Unmarshal(art.Content, &content))
	is.Equal(content["b"], []any{1.0, true, nil, "x"}) // the whole content

	resp, raw = call(t, "POST", o.URL+"/v2/artifacts", `{"kind":"summary","content":{"a":{"y":"é","z":1.5},"b":[1,true,null,"x"]}}`)
	is.Equal(resp.StatusCode, 201)                             // another kind
	is.True(decode[wire.ArtifactCreated](t, raw).ID != wantID) // is another document
}

func TestArtifactErrors(t *testing.T) {
	o := startOrchd(t, "limits: {artifact_bytes: 2048}\n", nil)
	stored := decode[wire.ArtifactCreated](t, mustCreate(t, o, `{"kind":"other","content":{"k":"v"}}`))
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               wire.ErrorCode
	}{
		{name: "over the artifact limit", method: "POST", path: "/v2/artifacts", body: `{"kind":"logs","content":{"x":"` + strings.Repeat("a", 4096) + `"}}`, status: 413, code: wire.CodePayloadTooLarge},
		{name: "unknown kind", method: "POST", path: "/v2/artifacts", body: `{"kind":"poem","content":{}}`, status: 400, code: wire.CodeInvalidParams},
		{name: "no kind", method: "POST", path: "/v2/artifacts", body: `{"content":{}}`, status: 400, code: wire.CodeInvalidParams},
		{name: "content not an object", method: "POST", path: "/v2/artifacts", body: `{"kind":"plan","content":[1]}`, status: 400, code: wire.CodeInvalidParams},
		{name: "no content", method: "POST", path: "/v2/artifacts", body: `{"kind":"plan"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "bad parent", method: "POST", path: "/v2/artifacts", body: `{"kind":"plan","content":{},"parent":"../x"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "malformed JSON", method: "POST", path: "/v2/artifacts", body: `{"kind":`, status: 400, code: wire.CodeInvalidParams},
		{name: "id not hex", method: "GET", path: "/v2/artifacts/" + strings.Repeat("g", 64), status: 400, code: wire.CodeInvalidParams},
		{name: "id uppercase", method: "GET", path: "/v2/artifacts/" + strings.ToUpper(stored.ID), status: 400, code: wire.CodeInvalidParams},
		{name: "id path traversal", method: "GET", path: "/v2/artifacts/..%2F..%2Fetc%2Fpasswd", status: 400, code: wire.CodeInvalidParams},
		{name: "unknown id", method: "GET", path: "/v2/artifacts/" + strings.Repeat("0", 64), status: 404, code: wire.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			resp, body := call(t, tc.method, o.URL+tc.path, tc.body)
			is.Equal(resp.StatusCode, tc.status) // status
			env := decode[wire.ErrorEnvelope](t, body)
			is.Equal(env.Code, tc.code) // code
			is.True(env.Message != "")  // a human message
		})
	}
	is := is.New(t)
	resp, _ := call(t, "POST", o.URL+"/v2/artifacts", `{"kind":"plan","content":{},"parent":"`+stored.ID+`"}`)
	is.Equal(resp.StatusCode, 201) // a valid parent
}

func mustCreate(t *testing.T, o *proc, body string) []byte {
	t.Helper()
	resp, raw := call(t, "POST", o.URL+"/v2/artifacts", body)
	if resp.StatusCode != 201 {
		t.Fatalf("create artifact: %d %s", resp.StatusCode, raw)
	}
	return raw
}

// transcriptOf waits for a finished task's transcript and reads it.
func transcriptOf(t *testing.T, o *proc, id string) (wire.TaskStatus, wire.Artifact) {
	t.Helper()
	var st wire.TaskStatus
	waitFor(t, 10*time.Second, "transcript of "+id, func() bool {
		st = status(t, o, id)
		return st.TranscriptArtifactID != ""
	})
	resp, raw := call(t, "GET", o.URL+"/v2/artifacts/"+st.TranscriptArtifactID, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("transcript %s: %d %s", st.TranscriptArtifactID, resp.StatusCode, raw)
	}
	return st, decode[wire.Artifact](t, raw)
}

func TestEveryFinishedTaskHasATranscript(t *testing.T) {
	sim, o := cluster(t, "", 1, "--token-delay", "2ms")
	waitPoolsReady(t, o, "sim-0")
	completed := admit(t, o, task(`,"max_tokens":4,"session_id":"sess-1"`))
	stream(t, o, completed)
	blocker := admit(t, o, task(`,"max_tokens":30000`))
	queued := admit(t, o, task(`,"max_tokens":4`))
	resp, _ := call(t, "POST", o.URL+"/v2/tasks/"+queued.TaskID+"/cancel", nil)
	if resp.StatusCode != 204 {
		t.Fatalf("cancel queued: %d", resp.StatusCode)
	}
	resp, _ = call(t, "POST", o.URL+"/v2/tasks/"+blocker.TaskID+"/cancel", nil)
	if resp.StatusCode != 204 {
		t.Fatalf("cancel running: %d", resp.StatusCode)
	}
	simFaults(t, sim, `{"fail_before_first": -1}`)
	failed := admit(t, o, task(`,"max_tokens":4`))
	stream(t, o, failed)

	cases := []struct {
		name     string
		id       string
		state    wire.TaskState
		terminal string
		session  string
		placed   bool // ran on a pool: the metadata names it
	}{
		{name: "completed", id: completed.TaskID, state: wire.TaskCompleted, terminal: wire.EventEnd, session: "sess-1", placed: true},
		{name: "canceled while running", id: blocker.TaskID, state: wire.TaskCanceled, terminal: wire.EventEnd, placed: true},
		{name: "canceled while queued", id: queued.TaskID, state: wire.TaskCanceled, terminal: wire.EventEnd, placed: false},
		{name: "failed", id: failed.TaskID, state: wire.TaskFailed, terminal: wire.EventError, placed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			st, art := transcriptOf(t, o, tc.id)
			is.Equal(st.State, tc.state)                                     // how it ended
			is.Equal(art.Kind, wire.ArtifactTrace)                           // kind trace
			is.True(contains(art.Tags, wire.TagSSE))                         // tag sse
			is.True(contains(art.Tags, wire.TagTaskPrefix+tc.id))            // tag task:<id>
			is.Equal(contains(art.Tags, "session:sess-1"), tc.session != "") // tag session:<id> when it had one
			var content struct {
				SSE    string `json:"sse"`
				TaskID string `json:"task_id"`
			}
			is.NoErr(json.Unmarshal(art.Content, &content))
			is.Equal(content.TaskID, tc.id) // whose
			frames, err := readFrames(strings.NewReader(content.SSE), nil)
			is.NoErr(err)
			is.Equal(frames[0].Event, wire.EventStarted)       // the whole stream
			is.Equal(frames[len(frames)-1].Event, tc.terminal) // to its terminal frame
			meta := decode[wire.TranscriptMetadata](t, art.Metadata)
			is.Equal(meta.ModelRef, "tiny")                // metadata: model_ref
			is.Equal(meta.PoolID == "sim-0", tc.placed)    // pool_id
			is.Equal(meta.NodeID == "static", tc.placed)   // node_id
			is.Equal(meta.Engine == "llamacpp", tc.placed) // engine
		})
	}
}
