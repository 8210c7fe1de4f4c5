package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrLineTooLong: a line exceeded the reader's limit.
var ErrLineTooLong = errors.New("sse: line too long")

// Reader reads lines from an event stream. It is reused across streams with
// Reset; between streams it keeps its buffers.
type Reader struct {
	br      *bufio.Reader
	long    []byte // a line that did not fit the buffer, assembled
	maxLine int
	eof     bool
}

// NewReader returns a Reader with a size-byte buffer that accepts lines of up
// to maxLine bytes.
func NewReader(size, maxLine int) *Reader {
	return &Reader{br: bufio.NewReaderSize(nil, size), maxLine: maxLine}
}

// Reset makes the Reader read r (nil releases the previous source).
func (r *Reader) Reset(src io.Reader) {
	r.br.Reset(src)
	r.long = r.long[:0]
	r.eof = false
}

// Line returns the next line without its "\n" or "\r\n". It blocks only when
// no complete line is buffered. At the end of the stream a last line without
// terminator is returned with partial set, then io.EOF. The line is valid
// until the next call.
func (r *Reader) Line() (line []byte, partial bool, err error) {
	if r.eof {
		return nil, false, io.EOF
	}
	r.long = r.long[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil && len(r.long) == 0:
			return trimEOL(chunk), false, nil
		case len(r.long)+len(chunk) > r.maxLine+len("\r\n"):
			return nil, false, ErrLineTooLong
		case err == nil:
			r.long = append(r.long, chunk...)
			return trimEOL(r.long), false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.long = append(r.long, chunk...)
		case errors.Is(err, io.EOF):
			r.eof = true
			r.long = append(r.long, chunk...)
			if len(r.long) == 0 {
				return nil, false, io.EOF
			}
			return trimEOL(r.long), true, nil
		default:
			return nil, false, err
		}
	}
}

// LineBuffered reports whether a complete line is already buffered, so that
// the next Line call does not block.
func (r *Reader) LineBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	buf, _ := r.br.Peek(n)
	return bytes.IndexByte(buf, '\n') >= 0
}

// Discard reads and drops up to max bytes until the end of the stream and
// reports whether the end was reached.
func (r *Reader) Discard(limit int64) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(r.br, limit))
	return err == nil && n < limit
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}
