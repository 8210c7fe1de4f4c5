package enginetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// bodyTransport answers every request with 200 and a fixed body.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(b)),
		Request:    req,
	}, nil
}

// BodyClient is an HTTP client whose every answer is 200 with body, without
// any network.
func BodyClient(body []byte) *http.Client {
	return &http.Client{Transport: bodyTransport(body)}
}

// Replay feeds data line by line to a fresh parser, as the adapter reads a
// stream, and returns the chunk texts up to the terminal event or the first
// failure, and whether the stream ended completely.
func Replay(p httpstream.Parser, data []byte) (texts []string, complete bool) {
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		data = rest
		line = bytes.TrimSuffix(line, []byte{'\r'})
		text, done, err := p.Line(line, nil)
		if err != nil && !found {
			return texts, false
		}
		if len(text) > 0 {
			texts = append(texts, string(text))
		}
		if done || err != nil {
			return texts, done
		}
	}
	return texts, p.EndOK()
}

// FuzzStreamer returns the Streamer the stream fuzz targets read through:
// a 64-byte buffer, so that most lines are assembled from several reads.
func FuzzStreamer() *httpstream.Streamer {
	return httpstream.NewStreamer(httpstream.Config{Engine: "fuzz", HTTPClient: BodyClient(nil), ReadBuffer: 64})
}

// CheckStream reads data through s and a fresh parser and checks the result
// against Replay: it must not panic, must emit exactly the chunks before the
// terminal event (none after it), never an empty chunk or batch, and succeed
// only when the stream was complete.
func CheckStream(t *testing.T, s *httpstream.Streamer, newParser func() httpstream.Parser, data []byte) {
	is := is.New(t)
	want, complete := Replay(newParser(), data)
	var got []string
	n, err := s.ReadBody(context.Background(), bytes.NewReader(data), newParser(), func(batch []string) error {
		is.True(len(batch) > 0) // never an empty batch
		for _, s := range batch {
			is.True(s != "") // never an empty chunk
		}
		got = append(got, batch...)
		return nil
	})
	is.Equal(n, len(got))          // the count matches what was emitted
	is.Equal(got, want)            // exactly the chunks before the terminal event
	is.Equal(err == nil, complete) // success exactly for a complete stream
	if err != nil {
		_, typed := errors.AsType[*engine.Error](err)
		is.True(typed) // every failure is an *engine.Error
	}
}
