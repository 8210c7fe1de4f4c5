package httpstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// lineParser is a test format: "tok <text>" is a chunk, "end" the terminal
// event, "bad" a malformed line.
type lineParser struct{}

func (lineParser) Line(line, text []byte) ([]byte, bool, error) {
	s := string(line)
	switch {
	case s == "end":
		return text, true, nil
	case s == "bad":
		return text, false, MalformedError("bad line")
	case strings.HasPrefix(s, "tok "):
		return append(text, s[len("tok "):]...), false, nil
	}
	return text, false, nil
}

func (lineParser) EndOK() bool { return false }

func TestReadBody(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		body   string
		chunks int
		kind   engine.ErrorKind
		cause  error
	}{
		{name: "complete", body: "tok a\ntok b\nend\ntok after\n", chunks: 2},
		{name: "truncated", body: "tok a\n", chunks: 1, kind: engine.KindReset, cause: engine.ErrTruncated},
		{name: "malformed", body: "tok a\nbad\n", chunks: 1, kind: engine.KindEngine, cause: engine.ErrMalformed},
		{name: "cut frame", body: "tok a\nbad", chunks: 1, kind: engine.KindReset, cause: engine.ErrTruncated},
		{name: "line too long", body: "tok " + strings.Repeat("x", maxLine+1) + "\n", kind: engine.KindEngine, cause: engine.ErrMalformed},
	}
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{}, ReadBuffer: 16})
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			n, err := s.ReadBody(t.Context(), strings.NewReader(tt.body), lineParser{}, func([]string) error { return nil })
			ee, _ := errors.AsType[*engine.Error](err)
			is.Equal(n, tt.chunks)                         // chunks before the end
			is.Equal(err == nil, tt.cause == nil)          // success only for a complete stream
			is.True(tt.cause == nil || ee.Kind == tt.kind) // failure kind
			is.True(errors.Is(err, tt.cause))              // failure cause
		})
	}
}

func TestCanceledBeforeEmit(t *testing.T) {
	is := is.New(t)
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	emitted := false
	_, err := s.ReadBody(ctx, strings.NewReader("tok a\nend\n"), lineParser{}, func([]string) error { emitted = true; return nil })
	is.True(errors.Is(err, context.Canceled)) // ctx.Err()
	is.True(!emitted)                         // nothing is emitted once ctx is done
}

func TestDrainGiveUp(t *testing.T) {
	is := is.New(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("tok a\nend\n"))
		_ = http.NewResponseController(w).Flush()
		select { // an engine that keeps the response open after its terminal event
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := NewStreamer(Config{Engine: "test"})
	t.Cleanup(s.CloseIdleConnections)
	start := time.Now()
	out, err := s.Post(t.Context(), s.Endpoint(srv.URL), []byte("{}"), 0, lineParser{}, func([]string) error { return nil })
	is.NoErr(err)                              // the terminal event makes it a success
	is.Equal(out.Chunks, 1)                    // one chunk
	is.True(time.Since(start) < 2*time.Second) // the drain gives up after its grace instead of waiting for the body
}

func TestBatchTexts(t *testing.T) {
	is := is.New(t)
	s := NewStreamer(Config{Engine: "test", HTTPClient: &http.Client{}})
	var texts []string
	emit := func(batch []string) error {
		texts = append(texts, batch...) // the slice is the reader's; the strings may be kept
		return nil
	}
	// "tok " and "noise" carry no text; the body ends without "end".
	n, err := s.ReadBody(t.Context(), strings.NewReader("tok a\ntok \ntok bc\nnoise\ntok d\u00e9\ntok cut"), lineParser{}, emit)
	is.Equal(n, 4)                                         // four chunks with text
	is.True(errors.Is(err, engine.ErrTruncated))           // a stream without its terminal event
	is.Equal(texts, []string{"a", "bc", "d\u00e9", "cut"}) // each text whole and in order
	n, err = s.ReadBody(t.Context(), strings.NewReader("tok x\ntok yz\nend\n"), lineParser{}, emit)
	is.NoErr(err)                                                     // a second stream on the pooled reader
	is.Equal(n, 2)                                                    // two chunks
	is.Equal(texts, []string{"a", "bc", "d\u00e9", "cut", "x", "yz"}) // the first stream's strings are unchanged
}
