package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §2: correlation ids, the error envelope, auth, limits, ids.

func TestCorrelationIDs(t *testing.T) {
	o := startOrchd(t, "", nil)
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{name: "kept when valid", sent: "req-42 from client", kept: true},
		{name: "fresh when absent", sent: "", kept: false},
		{name: "fresh when too long", sent: strings.Repeat("x", 129), kept: false},
		{name: "fresh when not printable ASCII", sent: "caf\u00e9", kept: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			req, _ := http.NewRequest(http.MethodGet, o.URL+"/healthz", nil)
			if tc.sent != "" {
				req.Header["X-Correlation-Id"] = []string{tc.sent}
			}
			resp, err := http.DefaultClient.Do(req)
			is.NoErr(err)
			resp.Body.Close()
			got := resp.Header.Get("X-Correlation-Id")
			is.Equal(got == tc.sent, tc.kept)  // kept only when valid
			is.True(tc.kept || len(got) == 26) // otherwise a fresh ULID
		})
	}
}

func TestErrorEnvelopeOnEveryFailure(t *testing.T) {
	o := startOrchd(t, "limits: {body_bytes: 2048}\n", nil)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               wire.ErrorCode
	}{
		{name: "malformed JSON", method: "POST", path: "/v2/tasks", body: `{"workload":`, status: 400, code: wire.CodeInvalidParams},
		{name: "no body", method: "POST", path: "/v2/tasks", body: ``, status: 400, code: wire.CodeInvalidParams},
		{name: "wrong type", method: "POST", path: "/v2/tasks", body: `{"workload":"completion","model_ref":"m","prompt":"p","max_tokens":"many"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "unknown enum", method: "POST", path: "/v2/tasks", body: `{"workload":"dance","model_ref":"m","prompt":"p"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "missing model", method: "POST", path: "/v2/tasks", body: `{"workload":"completion","prompt":"p"}`, status: 400, code: wire.CodeInvalidParams},
		{name: "too large", method: "POST", path: "/v2/tasks", body: `{"prompt":"` + strings.Repeat("a", 4096) + `"}`, status: 413, code: wire.CodePayloadTooLarge},
		{name: "bad task id", method: "GET", path: "/v2/tasks/bad%20id", status: 400, code: wire.CodeInvalidParams},
		{name: "unknown task", method: "GET", path: "/v2/tasks/nope", status: 404, code: wire.CodeNotFound},
		{name: "unknown task events", method: "GET", path: "/v2/tasks/nope/events", status: 404, code: wire.CodeNotFound},
		{name: "unknown task cancel", method: "POST", path: "/v2/tasks/nope/cancel", status: 404, code: wire.CodeNotFound},
		{name: "no pool serves the model", method: "POST", path: "/v2/tasks", body: `{"workload":"completion","model_ref":"ghost","prompt":"p"}`, status: 503, code: wire.CodePoolUnavailable},
		{name: "artifact id", method: "GET", path: "/v2/artifacts/ABC", status: 400, code: wire.CodeInvalidParams},
		{name: "unknown artifact", method: "GET", path: "/v2/artifacts/" + strings.Repeat("a", 64), status: 404, code: wire.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			resp, body := call(t, tc.method, o.URL+tc.path, tc.body)
			is.Equal(resp.StatusCode, tc.status) // status
			env := decode[wire.ErrorEnvelope](t, body)
			is.Equal(env.Code, tc.code)                        // code
			is.True(env.Message != "")                         // a human message
			is.True(!strings.Contains(env.Message, ".go"))     // no internals
			is.True(resp.Header.Get("X-Correlation-Id") != "") // correlated
		})
	}
}

func TestInvalidParamsNameTheField(t *testing.T) {
	o := startOrchd(t, "", nil)
	cases := []struct{ body, field string }{
		{`{"workload":"completion","model_ref":"m","prompt":"p","max_tokens":"x"}`, "max_tokens"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","max_tokens":0}`, "max_tokens"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","priority":"urgent"}`, "priority"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","engine":"gpt"}`, "engine"},
		{`{"workload":"completion","model_ref":"m"}`, "prompt"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","task_id":"has space"}`, "task_id"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","placement":{"mode":"pin"}}`, "placement.pin_pool_id"},
		{`{"workload":"completion","model_ref":"m","prompt":"p","kv_hint":"warm"}`, "kv_hint"},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			is := is.New(t)
			resp, body := call(t, "POST", o.URL+"/v2/tasks", tc.body)
			is.Equal(resp.StatusCode, 400) // rejected
			env := decode[wire.ErrorEnvelope](t, body)
			is.True(strings.Contains(env.Message, tc.field)) // names the field
		})
	}
}

func TestBearerAuth(t *testing.T) {
	o := startOrchd(t, "", nil, "ORCHD_API_TOKEN=s3cret-token")
	cases := []struct {
		name, path, auth string
		status           int
	}{
		{name: "missing", path: "/v2/meta/version", auth: "", status: 401},
		{name: "malformed", path: "/v2/meta/version", auth: "Token s3cret-token", status: 401},
		{name: "wrong", path: "/v2/meta/version", auth: "Bearer nope", status: 403},
		{name: "right", path: "/v2/meta/version", auth: "Bearer s3cret-token", status: 200},
		{name: "metrics stay open", path: "/metrics", auth: "", status: 200},
		{name: "healthz stays open", path: "/healthz", auth: "", status: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var h []string
			if tc.auth != "" {
				h = []string{"Authorization", tc.auth}
			}
			resp, _ := call(t, "GET", o.URL+tc.path, nil, h...)
			is.Equal(resp.StatusCode, tc.status) // auth outcome
		})
	}
	is := is.New(t)
	waitFor(t, 5*time.Second, "request log lines", func() bool { return strings.Contains(o.Logs(), `"identity":"`) }) // its fingerprint is logged
	is.True(!strings.Contains(o.Logs(), "s3cret-token"))                                                              // the token never reaches the logs
}

func TestMetricsAuthWhenAsked(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "", nil, "ORCHD_API_TOKEN=tok", "ORCHD_METRICS_AUTH=true")
	resp, _ := call(t, "GET", o.URL+"/metrics", nil)
	is.Equal(resp.StatusCode, 401) // closed
	resp, _ = call(t, "GET", o.URL+"/metrics", nil, "Authorization", "Bearer tok")
	is.Equal(resp.StatusCode, 200) // open with the token
}

func TestRefusesPublicBindWithoutToken(t *testing.T) {
	is := is.New(t)
	cmd := exec.Command(bins.orchd, "--addr", "0.0.0.0:0", "--data-dir", t.TempDir())
	cmd.Env = withoutToken(os.Environ())
	out, err := cmd.CombinedOutput()
	is.True(err != nil)                                       // exits non-zero
	is.True(strings.Contains(string(out), "ORCHD_API_TOKEN")) // says how to fix it
}

func withoutToken(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "ORCHD_") {
			out = append(out, kv)
		}
	}
	return out
}

func TestHealthAndReadiness(t *testing.T) {
	is := is.New(t)
	o := startOrchd(t, "", nil)
	resp, _ := call(t, "GET", o.URL+"/healthz", nil)
	is.Equal(resp.StatusCode, 200) // alive
	resp, _ = call(t, "GET", o.URL+"/readyz", nil)
	is.Equal(resp.StatusCode, 200) // ready
}
