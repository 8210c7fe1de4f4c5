package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// decodeOutcome is what a decode produced: the value, or the error as the
// client sees it.
type decodeOutcome struct {
	req   wire.TaskRequest
	code  wire.ErrorCode
	field string
	msg   string
}

func outcome(tr wire.TaskRequest, err error) decodeOutcome {
	if err == nil {
		return decodeOutcome{req: tr}
	}
	p := toProblem(err)
	return decodeOutcome{code: p.Code, field: p.Field, msg: p.Message}
}

// streamedDecode is the reference: a streaming decoder over the bounded body.
func streamedDecode(body io.Reader, limit int64) decodeOutcome {
	var tr wire.TaskRequest
	err := decodeStream(http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(body), limit), &tr)
	return outcome(tr, err)
}

// pooledDecode decodes with decodeJSON (generic) or decodeTask.
func pooledDecode(s *Server, body io.Reader, limit int64, typed bool) decodeOutcome {
	req := httptest.NewRequest(http.MethodPost, "/v2/tasks", body)
	c := s.echo.NewContext(req, httptest.NewRecorder())
	var tr wire.TaskRequest
	if typed {
		return outcome(tr, s.decodeTask(c, &tr, limit))
	}
	return outcome(tr, s.decodeJSON(c, &tr, limit))
}

// errAfter yields its bytes, then fails: a client that went away mid-body.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, e.err
	}
	return n, err
}

func TestDecodeJSONMatchesAStreamingDecoder(t *testing.T) {
	s := New(Deps{})
	big := `{"workload":"completion","model_ref":"m","prompt":"` + strings.Repeat("a", 300) + `"}`
	tests := []struct {
		name  string
		body  string
		limit int64
	}{
		{"valid", `{"workload":"completion","model_ref":"m","prompt":"hi","max_tokens":8,"stop":"x","placement":{"mode":"pin","pin_pool_id":"p"}}`, 1024},
		{"valid with surrounding space", " \n{\"workload\":\"completion\"}\t\r\n ", 1024},
		{"escapes and unicode", `{"prompt":"a\"b\\c\u00e9\ud83d\ude00 <&>","model_ref":"m"}`, 1024},
		{"unknown fields", `{"future":{"x":[1,2,{"y":null}]},"model_ref":"m"}`, 1024},
		{"empty", ``, 1024},
		{"only space", "  \n ", 1024},
		{"truncated", `{"workload":`, 1024},
		{"syntax error", `{"workload" "completion"}`, 1024},
		{"syntax error late", `{"workload":"completion",,}`, 1024},
		{"wrong type", `{"max_tokens":"x"}`, 1024},
		{"wrong type nested", `{"placement":{"prefer_pools":[1]}}`, 1024},
		{"two type errors", `{"max_tokens":"x","ctx":"y"}`, 1024},
		{"field error", `{"stop":["a",2]}`, 1024},
		{"not an object", `[1,2]`, 1024},
		{"null", `null`, 1024},
		{"trailing object", `{} {}`, 1024},
		{"trailing garbage", `{}x`, 1024},
		{"trailing close", `{}]`, 1024},
		{"trailing number", `{} 1`, 1024},
		{"number then garbage", `1x`, 1024},
		{"invalid utf-8", "{\"prompt\":\"\xff\xfe\"}", 1024},
		{"over the limit", big, 256},
		{"syntax error before the limit", `{"workload" ` + strings.Repeat(" ", 400), 256},
		{"valid then space over the limit", `{}` + strings.Repeat(" ", 400), 256},
		{"valid then garbage over the limit", `{}x` + strings.Repeat(" ", 400), 256},
		{"exactly the limit", `{"prompt":"` + strings.Repeat("a", 244) + `"}`, 256},
		{"one over the limit", `{"prompt":"` + strings.Repeat("a", 245) + `"}`, 256},
		{"bigger than a pooled buffer", `{"prompt":"` + strings.Repeat("b", 3*maxPooledBody) + `"}`, 4 * maxPooledBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want := streamedDecode(strings.NewReader(tt.body), tt.limit)
			is.Equal(pooledDecode(s, strings.NewReader(tt.body), tt.limit, false), want) // same value or error as the streaming decoder
			is.Equal(pooledDecode(s, strings.NewReader(tt.body), tt.limit, false), want) // and again with a recycled buffer
			is.Equal(pooledDecode(s, strings.NewReader(tt.body), tt.limit, true), want)  // decodeTask too
		})
	}
}

func TestDecodeJSONReadError(t *testing.T) {
	gone := errors.New("connection reset")
	tests := []struct {
		name string
		body string
	}{
		{"mid-value", `{"workload":"compl`},
		{"after a value", `{"workload":"completion"}`},
		{"before anything", ``},
	}
	s := New(Deps{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want := streamedDecode(&errAfter{strings.NewReader(tt.body), gone}, 1024)
			got := pooledDecode(s, &errAfter{strings.NewReader(tt.body), gone}, 1024, false)
			is.Equal(got, want)                                                                      // same outcome as the streaming decoder
			is.Equal(pooledDecode(s, &errAfter{strings.NewReader(tt.body), gone}, 1024, true), want) // decodeTask too
			is.Equal(got.code, wire.CodeInvalidParams)                                               // a broken body is the client's fault
		})
	}
}

func TestDecodeJSONOverTheLimitIs413(t *testing.T) {
	is := is.New(t)
	s := New(Deps{})
	req := httptest.NewRequest(http.MethodPost, "/v2/tasks", strings.NewReader(`{"prompt":"`+strings.Repeat("a", 300)+`"}`))
	c := s.echo.NewContext(req, httptest.NewRecorder())
	var tr wire.TaskRequest
	err := s.decodeTask(c, &tr, 256)
	var mbe *http.MaxBytesError
	is.True(errors.As(err, &mbe))                                      // a size error
	is.Equal(toProblem(err).Code, wire.CodePayloadTooLarge)            // maps to 413
	is.Equal(toProblem(err).Message, "request body exceeds 256 bytes") // naming the limit
}

func BenchmarkDecodeTaskRequest(b *testing.B) {
	body := []byte(`{"workload":"completion","model_ref":"tiny","prompt":"Write a short story about a quick brown fox.","max_tokens":64}`)
	s := New(Deps{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/v2/tasks", nil)
	c := s.echo.NewContext(req, rec)
	r := bytes.NewReader(body)
	b.Run("task", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(body)
			req.Body = io.NopCloser(r)
			var tr wire.TaskRequest
			if err := s.decodeTask(c, &tr, 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(body)
			req.Body = io.NopCloser(r)
			var tr wire.TaskRequest
			if err := s.decodeJSON(c, &tr, 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("streamed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(body)
			var tr wire.TaskRequest
			if err := decodeStream(http.MaxBytesReader(rec, io.NopCloser(r), 1<<20), &tr); err != nil {
				b.Fatal(err)
			}
		}
	})
}
