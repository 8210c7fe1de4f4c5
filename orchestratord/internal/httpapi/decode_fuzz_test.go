package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// FuzzDecodeTaskRequest feeds arbitrary bodies to the request decoder: it
// must never panic, and every failure must map to 400 INVALID_PARAMS or 413.
func FuzzDecodeTaskRequest(f *testing.F) {
	for _, seed := range []string{
		`{"workload":"completion","model_ref":"m","prompt":"hi"}`,
		`{"workload":`, ``, `{} {}`, `{"max_tokens":"x"}`, `{"placement":{"prefer_pools":[1]}}`,
		`{"stop":["a",2]}`, `{"prompt":"` + string(bytes.Repeat([]byte("a"), 300)) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	s := New(Deps{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v2/tasks", bytes.NewReader(body))
		c := s.echo.NewContext(req, httptest.NewRecorder())
		var tr wire.TaskRequest
		err := s.decodeJSON(c, &tr, 256)
		want := streamedDecode(bytes.NewReader(body), 256)
		if got := outcome(tr, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON gives %+v, a streaming decoder %+v", got, want)
		}
		if got := pooledDecode(s, bytes.NewReader(body), 256, true); !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeTask gives %+v, a streaming decoder %+v", got, want)
		}
		if err == nil {
			return
		}
		p := toProblem(err)
		if p.Code != wire.CodeInvalidParams && p.Code != wire.CodePayloadTooLarge {
			t.Fatalf("decode error maps to %s: %v", p.Code, err)
		}
		var mbe *http.MaxBytesError
		if p.Code == wire.CodePayloadTooLarge && !errors.As(err, &mbe) {
			t.Fatalf("413 without a size error: %v", err)
		}
		if _, ok := problem.As(err); !ok && !errors.As(err, &mbe) {
			t.Fatalf("untyped decode error: %v", err)
		}
	})
}
