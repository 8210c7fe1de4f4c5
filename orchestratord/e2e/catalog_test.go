package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §6: the catalog, its verification and its admission gate.

func TestCatalogEntries(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "limits: {body_bytes: 4096}\n", nil)
	before := time.Now().UnixMilli()
	in := wire.CatalogModel{
		ID: "org/llama-3-8b", Digest: digestOf("weights"), SourceURL: "hf.co/org/llama-3-8b:q4", Tags: []string{"chat", "q4"},
		Manifests:   []wire.Manifest{{Digest: digestOf("layer"), SizeBytes: 4 << 30}},
		Signatures:  []wire.Signature{{Signer: "acme", Algo: "ed25519", Verified: true, TimestampMs: 1_700_000_000_000}},
		SBOM:        &wire.SBOM{URI: "https://sbom.example/llama.json", Digest: digestOf("sbom")},
		TrustPolicy: &wire.TrustPolicy{Mode: wire.TrustPermissive, AllowedRegistries: []string{"hf.co"}, RequireSignature: true},
	}
	created := createModel(t, o, in)
	is.Equal(created.State, wire.ModelActive)     // stored Active
	is.True(created.CreatedMs >= before)          // created now
	is.Equal(created.Verified, (*bool)(nil))      // not verified yet
	is.Equal(created.Manifests, in.Manifests)     // every field kept
	is.Equal(created.TrustPolicy, in.TrustPolicy) // nested ones too
	createModel(t, o, wire.CatalogModel{ID: "a-first", Digest: digestOf("a")})

	got := getModel(t, o, in.ID)
	is.Equal(got, created) // GET by the percent-encoded id
	resp, raw := call(t, "GET", o.URL+"/v2/catalog/models", nil)
	is.Equal(resp.StatusCode, 200) // list
	list := decode[[]wire.CatalogModel](t, raw)
	is.Equal(len(list), 2)                       // both entries
	is.Equal(list[0].ID, "a-first")              // sorted by id
	is.Equal(list[1], created)                   // as stored
	is.True(strings.HasPrefix(string(raw), "[")) // a bare array

	resp, _ = call(t, "DELETE", modelURL(o, in.ID, ""), nil)
	is.Equal(resp.StatusCode, 204) // deleted
	resp, _ = call(t, "GET", modelURL(o, in.ID, ""), nil)
	is.Equal(resp.StatusCode, 404) // gone
}

func TestCatalogErrors(t *testing.T) {
	o := startOrchd(t, "limits: {body_bytes: 4096}\n", nil)
	createModel(t, o, wire.CatalogModel{ID: "org/m", Digest: digestOf("m")})
	d := digestOf("x")
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               wire.ErrorCode
		message            string // "" = any
	}{
		{name: "no id", method: "POST", path: "/v2/catalog/models", body: `{"digest":"` + d + `"}`, status: 400, code: wire.CodeInvalidParams, message: "id required"},
		{name: "no digest", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2"}`, status: 400, code: wire.CodeInvalidParams, message: "digest required"},
		{name: "digest format", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2","digest":"md5:abc"}`, status: 400, code: wire.CodeInvalidParams, message: "digest must be sha256:<64 lowercase hex>"},
		{name: "uppercase digest", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2","digest":"` + strings.ToUpper(d) + `"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "bad id", method: "POST", path: "/v2/catalog/models", body: `{"id":"a//b","digest":"` + d + `"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "bad source", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2","digest":"` + d + `","source_url":"ftp://x/y"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "bad trust mode", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2","digest":"` + d + `","trust_policy":{"mode":"lax"}}`, status: 400, code: wire.CodeInvalidParams},
		{name: "wrong type", method: "POST", path: "/v2/catalog/models", body: `{"id":7,"digest":"` + d + `"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "malformed JSON", method: "POST", path: "/v2/catalog/models", body: `{"id":`, status: 400, code: wire.CodeInvalidParams},
		{name: "too large", method: "POST", path: "/v2/catalog/models", body: `{"id":"m2","digest":"` + d + `","tags":["` + strings.Repeat("t", 5000) + `"]}`, status: 413, code: wire.CodePayloadTooLarge},
		{name: "duplicate id", method: "POST", path: "/v2/catalog/models", body: `{"id":"org/m","digest":"` + d + `"}`, status: 409, code: wire.CodeConflict},
		{name: "get unknown", method: "GET", path: "/v2/catalog/models/none", status: 404, code: wire.CodeNotFound},
		{name: "get bad id", method: "GET", path: "/v2/catalog/models/a..b", status: 400, code: wire.CodeInvalidParams},
		{name: "get bad escape", method: "GET", path: "/v2/catalog/models/a%2Fb%2F", status: 400, code: wire.CodeInvalidParams},
		{name: "delete unknown", method: "DELETE", path: "/v2/catalog/models/none", status: 404, code: wire.CodeNotFound},
		{name: "verify unknown", method: "POST", path: "/v2/catalog/models/none/verify", status: 404, code: wire.CodeNotFound},
		{name: "state unknown model", method: "POST", path: "/v2/catalog/models/none/state", body: `{"state":"Retired"}`, status: 404, code: wire.CodeNotFound},
		{name: "state missing", method: "POST", path: "/v2/catalog/models/org%2Fm/state", body: `{}`, status: 400, code: wire.CodeInvalidParams, message: "state required"},
		{name: "state unknown", method: "POST", path: "/v2/catalog/models/org%2Fm/state", body: `{"state":"Deleted"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "negative deadline", method: "POST", path: "/v2/catalog/models/org%2Fm/state", body: `{"state":"Retired","deadline_ms":-1}`, status: 400, code: wire.CodeInvalidParams},
		{name: "deadline when activating", method: "POST", path: "/v2/catalog/models/org%2Fm/state", body: `{"state":"Active","deadline_ms":5}`, status: 400, code: wire.CodeInvalidParams},
		{name: "state no body", method: "POST", path: "/v2/catalog/models/org%2Fm/state", body: ``, status: 400, code: wire.CodeInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			resp, body := call(t, tc.method, o.URL+tc.path, tc.body)
			is.Equal(resp.StatusCode, tc.status) // status
			env := decode[wire.ErrorEnvelope](t, body)
			is.Equal(env.Code, tc.code)                                         // code
			is.True(tc.message == "" || env.Message == tc.message)              // message
			is.True(env.Message != "" && !strings.Contains(env.Message, ".go")) // a human message, no internals
		})
	}
	is := is.New(t)
	is.Equal(getModel(t, o, "org/m").State, wire.ModelActive) // no failed call changed the entry
}

func TestCatalogVerifiesRealFiles(t *testing.T) {
	is := is.New(t)
	root := t.TempDir()
	o := startOrchd(t, "catalog: {file_root: "+root+"}\n", nil)
	source, digest := modelFile(t, root, "tiny.gguf", []byte("GGUF\x00 tiny model weights"))
	outside, outsideDigest := modelFile(t, t.TempDir(), "secret.gguf", []byte("not under the root"))

	createModel(t, o, wire.CatalogModel{ID: "good", Digest: digest, SourceURL: source})
	createModel(t, o, wire.CatalogModel{ID: "bad", Digest: digestOf("other weights"), SourceURL: source})
	createModel(t, o, wire.CatalogModel{ID: "outside", Digest: outsideDigest, SourceURL: outside})

	before := time.Now().UnixMilli()
	good := verifyModel(t, o, "good")
	is.True(*good.Verified)                 // digest matches
	is.True(*good.LastVerifiedMs >= before) // when
	is.Equal(good.VerifyReason, "")         // no reason on success
	bad := verifyModel(t, o, "bad")
	is.True(!*bad.Verified)                                    // digest differs
	is.True(*bad.LastVerifiedMs >= before)                     // when
	is.Equal(bad.VerifyReason, "digest mismatch: got "+digest) // why
	out := verifyModel(t, o, "outside")
	is.True(!*out.Verified)                                    // outside catalog.file_root
	is.Equal(out.VerifyReason, "source outside the file root") // why, without hashing it
}

func TestCatalogGatesAdmission(t *testing.T) {
	root := t.TempDir()
	_, o := cluster(t, "catalog: {file_root: "+root+"}\n", 2, "--token-delay", "5ms")
	waitPoolsReady(t, o, "sim-0")
	strict := []string{wire.HeaderTrustPolicy, string(wire.TrustStrict)}

	t.Run("a model pools serve but the catalog does not list", func(t *testing.T) {
		is := is.New(t)
		resp, _ := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`))
		is.Equal(resp.StatusCode, 202) // admitted under the default policy
		resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`), strict...)
		is.Equal(resp.StatusCode, 400) // strict: no verified digest
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeUntrustedArtifact)
		resp, raw = call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`), wire.HeaderTrustPolicy, "paranoid")
		is.Equal(resp.StatusCode, 400)                                                                // an unknown policy
		is.True(strings.Contains(decode[wire.ErrorEnvelope](t, raw).Message, wire.HeaderTrustPolicy)) // names the header
	})

	source, digest := modelFile(t, root, "tiny.gguf", []byte("tiny weights"))
	createModel(t, o, wire.CatalogModel{ID: "tiny", Digest: digest, SourceURL: source})

	t.Run("listed but not verified", func(t *testing.T) {
		is := is.New(t)
		resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`), strict...)
		is.Equal(resp.StatusCode, 400)                                                // strict
		is.Equal(decode[wire.ErrorEnvelope](t, raw).Code, wire.CodeUntrustedArtifact) // not verified yet
		resp, _ = call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`))
		is.Equal(resp.StatusCode, 202) // the default policy admits it
	})

	t.Run("verified", func(t *testing.T) {
		is := is.New(t)
		is.True(*verifyModel(t, o, "tiny").Verified) // the file matches
		resp, _ := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`), strict...)
		is.Equal(resp.StatusCode, 202) // strict admits a verified model
	})

	t.Run("retired", func(t *testing.T) {
		is := is.New(t)
		running := admit(t, o, task(`,"max_tokens":30000`))
		waitFor(t, 10*time.Second, "running", func() bool { return status(t, o, running.TaskID).State == wire.TaskRunning })
		retired := setModelState(t, o, "tiny", wire.ModelStateRequest{State: wire.ModelRetired, DeadlineMs: new(int64(300))})
		is.Equal(retired.State, wire.ModelRetired) // retired
		is.True(retired.RetireDeadlineMs > 0)      // with its deadline

		resp, raw := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`))
		is.Equal(resp.StatusCode, 503) // admits nothing at once
		env := decode[wire.ErrorEnvelope](t, raw)
		is.Equal(env.Code, wire.CodePoolUnavailable)      // POOL_UNAVAILABLE
		is.True(strings.Contains(env.Message, "retired")) // saying retired
		resp, raw = call(t, "POST", o.URL+"/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`)
		is.Equal(resp.StatusCode, 503)                    // the OpenAI surface too
		is.True(strings.Contains(string(raw), "retired")) // saying so

		frames := stream(t, o, running) // the running task ends at the deadline
		last := frames[len(frames)-1]
		is.Equal(last.Event, wire.EventEnd) // with an end frame
		end := decode[wire.EndFrame](t, last.Data)
		is.True(end.Canceled)                          // canceled
		is.Equal(end.FinishReason, wire.FinishRetired) // because the model retired
		_, n := tokensOf(frames)
		is.True(n > 0) // it ran until then

		is.True(strings.Contains(metricsText(t, o), `orchd_model_state{model_id="tiny",state="Retired"} 1`)) // the metric moved
		is.True(!modelListed(t, o, "tiny"))                                                                  // /v1/models hides it though the pool advertises it
	})

	t.Run("active again", func(t *testing.T) {
		is := is.New(t)
		setModelState(t, o, "tiny", wire.ModelStateRequest{State: wire.ModelActive})
		resp, _ := call(t, "POST", o.URL+"/v2/tasks", task(`,"max_tokens":2`))
		is.Equal(resp.StatusCode, 202)                                                                      // admits again
		is.True(strings.Contains(metricsText(t, o), `orchd_model_state{model_id="tiny",state="Active"} 1`)) // the metric moved back
	})
}

func TestV1ModelsListsActiveCatalogModels(t *testing.T) {
	is := is.New(t)
	_, o := cluster(t, "", 1)
	waitPoolsReady(t, o, "sim-0")
	createModel(t, o, wire.CatalogModel{ID: "org/catalog-only", Digest: digestOf("c")})
	createModel(t, o, wire.CatalogModel{ID: "org/retired", Digest: digestOf("r")})
	setModelState(t, o, "org/retired", wire.ModelStateRequest{State: wire.ModelRetired})
	is.True(modelListed(t, o, "org/catalog-only")) // an Active catalog model
	is.True(modelListed(t, o, "tiny"))             // a model a ready pool advertises
	is.True(!modelListed(t, o, "org/retired"))     // not a Retired one
}

// modelListed reports whether GET /v1/models lists id.
func modelListed(t *testing.T, o *proc, id string) bool {
	t.Helper()
	resp, raw := call(t, "GET", o.URL+"/v1/models", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/v1/models: %d %s", resp.StatusCode, raw)
	}
	for _, m := range decode[wire.ModelList](t, raw).Data {
		if m.ID == id {
			return true
		}
	}
	return false
}
