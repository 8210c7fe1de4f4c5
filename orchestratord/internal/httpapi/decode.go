package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// maxPooledBody is the largest body buffer kept for reuse: bigger bodies
// (artifacts) are rare, and keeping their buffers would pin memory.
const maxPooledBody = 64 << 10

// bodyBuffers recycles the buffers request bodies are read into and
// responses are encoded in.
type bodyBuffers struct{ pool sync.Pool }

func (b *bodyBuffers) get() *[]byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return p
	}
	buf := make([]byte, 0, 1024)
	return &buf
}

func (b *bodyBuffers) put(p *[]byte) {
	if cap(*p) > maxPooledBody {
		return
	}
	*p = (*p)[:0]
	b.pool.Put(p)
}

// decodeJSON reads one JSON value from the request body into dst, bounded by
// limit. Unknown fields are ignored (forward compatibility); malformed JSON
// and type errors become INVALID_PARAMS naming the field.
//
// The body is read whole into a pooled buffer and decoded in one pass. Only
// a body that does not decode cleanly, or could not be read whole, goes
// through decodeStream, so every error is the one a streaming decoder of
// the same bytes reports. dst keeps nothing of the buffer: encoding/json
// copies strings and json.RawMessage values.
func (s *Server) decodeJSON(c echo.Context, dst any, limit int64) error {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	body, err := readBody(c.Request().Body, limit, (*buf)[:0])
	*buf = body
	return decodeBody(body, err, dst)
}

// decodeTask is decodeJSON for a task request: a body of the common form
// (wire.TaskRequest.DecodeCommon) is decoded without reflection, to the
// same result.
func (s *Server) decodeTask(c echo.Context, req *wire.TaskRequest, limit int64) error {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	body, err := readBody(c.Request().Body, limit, (*buf)[:0])
	*buf = body
	if err == nil && req.DecodeCommon(body) {
		return nil
	}
	// A separate value, so that req does not escape to the heap on the
	// common path.
	general := new(wire.TaskRequest)
	err = decodeBody(body, err, general)
	*req = *general
	return err
}

// decodeBody decodes body, which reading ended with readErr, into dst.
func decodeBody(body []byte, readErr error, dst any) error {
	if readErr != nil {
		return decodeStream(io.MultiReader(bytes.NewReader(body), failingReader{readErr}), dst)
	}
	if json.Unmarshal(body, dst) == nil {
		return nil
	}
	return decodeStream(bytes.NewReader(body), dst)
}

// readBody appends r to b up to its end or, like http.MaxBytesReader, up
// to limit bytes followed by an *http.MaxBytesError when r holds more.
func readBody(r io.Reader, limit int64, b []byte) ([]byte, error) {
	start := len(b)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		// Read one byte past the limit at most, to tell "exactly the
		// limit" from "over it".
		room := b[len(b):cap(b)]
		if left := limit + 1 - int64(len(b)-start); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		b = b[:len(b)+n]
		if int64(len(b)-start) > limit {
			return b[:start+int(limit)], &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF { // unwrapped, as io.ReadAll expects it
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// failingReader replays a read error after the bytes read before it.
type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// decodeStream decodes one JSON value from r into dst and requires nothing
// but whitespace after it: the reference behaviour of decodeJSON, and the
// source of its error messages.
func decodeStream(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return problem.Invalid("body", "trailing data after the JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return problem.Invalid("body", "trailing data after the JSON object")
	}
	return nil
}
