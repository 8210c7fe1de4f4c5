package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// splitReader is a connection that returns its bytes in the pieces next
// says, then io.EOF.
type splitReader struct {
	data []byte
	next func() int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.data[:min(max(s.next(), 1), len(s.data))])
	s.data = s.data[n:]
	return n, nil
}

// steps returns pieces of size n.
func steps(n int) func() int { return func() int { return n } }

// randomSteps returns pieces of 1 to max bytes from a fixed seed.
func randomSteps(seed uint64, max int) func() int {
	r := rand.New(rand.NewPCG(seed, 0))
	return func() int { return 1 + r.IntN(max) }
}

// cutAt returns the bytes up to i in one piece, then the rest.
func cutAt(i int) func() int {
	first := true
	return func() int {
		if first {
			first = false
			return i
		}
		return 1 << 30
	}
}

// decodeAll reads wire through a chunkedBody over pieces, prefix bytes of it
// already in the connection's buffer, with reads into buffers of pLen
// bytes, until an error. It returns the payload, the error (nil at the end
// of the body) and the decoder.
func decodeAll(wire []byte, pieces func() int, prefix, pLen int) ([]byte, error, *chunkedBody) {
	src := &splitReader{data: wire, next: pieces}
	br := bufio.NewReaderSize(src, readBufferSize)
	_, _ = br.Peek(min(prefix, len(wire), readBufferSize))
	c := newChunkedBody(br, src)
	p := make([]byte, pLen)
	var out []byte
	for {
		n, err := c.Read(p)
		out = append(out, p[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil, c
		}
		if err != nil {
			return out, err, c
		}
	}
}

// encode frames payload pieces as chunks, then the last chunk and trailer.
func encode(trailer string, pieces ...string) string {
	var b strings.Builder
	for _, p := range pieces {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(p), p)
	}
	return b.String() + "0\r\n" + trailer + "\r\n"
}

// splits are the ways a body is cut between reads.
func splits(wire string) map[string]func() int {
	s := map[string]func() int{"whole": steps(1 << 30)}
	for _, n := range []int{1, 2, 3, 5, 7, 13, 64} {
		s[fmt.Sprintf("%d at a time", n)] = steps(n)
	}
	for seed := range uint64(4) {
		s[fmt.Sprintf("random %d", seed)] = randomSteps(seed, 40)
	}
	if len(wire) > 512 {
		return s // the pieces above cross every split point already
	}
	for i := 1; i < len(wire); i++ {
		s[fmt.Sprintf("cut at %d", i)] = cutAt(i)
	}
	return s
}

var readSizes = []int{1, 3, 64, minDirectRead - 1, minDirectRead, 8 << 10}

func TestChunkedBodyDecodesAtEverySplit(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 40)
	tests := []struct {
		name, wire, want string
	}{
		{"one chunk", encode("", "hello"), "hello"},
		{"engine tokens", encode("", "data: {\"t\":\"a\"}\n\n", "data: {\"t\":\"b\"}\n\n", "data: [DONE]\n\n"), "data: {\"t\":\"a\"}\n\ndata: {\"t\":\"b\"}\n\ndata: [DONE]\n\n"},
		{"empty body", "0\r\n\r\n", ""},
		{"upper-case hex and leading zeros", "00A\r\n0123456789\r\n0B\r\nhello world\r\n000\r\n\r\n", "0123456789hello world"},
		{"extensions", "5;name=value\r\nhello\r\n6;a;b=\"q;\\\" x\"\r\n world\r\n0;last\r\n\r\n", "hello world"},
		{"blanks after the size", "5 \t \r\nhello\r\n0 \r\n\r\n", "hello"},
		{"trailer fields", encode("Expires: never\r\nX-Sum: 1\r\n", "ab", "cd"), "abcd"},
		{"trailer of CRs", encode("\rx\r\n\r\r\n", "ab"), "ab"},
		{"trailer ended by a bare LF", "2\r\nab\r\n0\r\nX: y\n\n", "ab"},
		{"data holding framing", encode("", "3\r\n", "\r\n0\r\n\r\n"), "3\r\n\r\n0\r\n\r\n"},
		{"chunks longer than a read", encode("", long, long[:333]), long + long[:333]},
		{"size line of 4096 bytes", "1;" + strings.Repeat("x", maxChunkLine-4) + "\r\nA\r\n0\r\n\r\n", "A"},
		{"trailer line of 4096 bytes", "1\r\nA\r\n0\r\nX: " + strings.Repeat("y", maxChunkLine-5) + "\r\n\r\n", "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, pieces := range splits(tt.wire) {
				for _, pLen := range readSizes {
					t.Run(fmt.Sprintf("%s into %d", name, pLen), func(t *testing.T) {
						is := is.New(t)
						got, err, c := decodeAll([]byte(tt.wire), pieces, 0, pLen)
						is.NoErr(err)                  // the body ends cleanly
						is.Equal(string(got), tt.want) // exactly the payload
						is.True(!c.overrun)            // nothing past the body was read
						is.Equal(c.br.Buffered(), 0)   // nor left buffered
					})
				}
			}
		})
	}
}

// Bytes of the body already buffered with the head are decoded from the
// buffer first, then the rest straight from the connection.
func TestChunkedBodyAfterBufferedBytes(t *testing.T) {
	wire := encode("T: 1\r\n", strings.Repeat("a", 300), strings.Repeat("b", 700), "c")
	want := strings.Repeat("a", 300) + strings.Repeat("b", 700) + "c"
	for _, prefix := range []int{1, 2, 5, 100, 305, 306, 1000, len(wire)} {
		for _, pLen := range readSizes {
			t.Run(fmt.Sprintf("%d buffered into %d", prefix, pLen), func(t *testing.T) {
				is := is.New(t)
				got, err, c := decodeAll([]byte(wire), steps(97), prefix, pLen)
				is.NoErr(err)                // the body ends cleanly
				is.Equal(string(got), want)  // exactly the payload
				is.True(!c.overrun)          // nothing past the body was read
				is.Equal(c.br.Buffered(), 0) // nor left buffered
			})
		}
	}
}

func TestChunkedBodyRejectsMalformedFraming(t *testing.T) {
	// Each 1-byte chunk with a 100-byte extension is 86 bytes of framing
	// over the allowance; the 191st passes 16 KiB.
	noisy := strings.Repeat("1;"+strings.Repeat("e", 100)+"\r\nX\r\n", 200) + "0\r\n\r\n"
	tests := []struct {
		name, wire, want string // want: the payload before the failure
		err              error
	}{
		{"bad hex", "5\r\nhello\r\nZ\r\nxx\r\n0\r\n\r\n", "hello", ErrMalformed},
		{"hex then junk", "5x\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"empty size", "\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"extension without size", ";x\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"leading blank", " 5\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"blank before extension", "5 ;x\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"size overflow", "10000000000000000\r\n", "", ErrMalformed},
		{"bare LF after size", "5\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"bare LF after extension", "5;x\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"CR inside the line", "5\rx\r\nhello\r\n0\r\n\r\n", "", ErrMalformed},
		{"missing CRLF after data", "5\r\nhelloXX0\r\n\r\n", "hello", ErrMalformed},
		{"LF only after data", "5\r\nhello\n0\r\n\r\n", "hello", ErrMalformed},
		{"CR then junk after data", "5\r\nhello\rX0\r\n\r\n", "hello", ErrMalformed},
		{"oversized size line", "1;" + strings.Repeat("x", maxChunkLine-3) + "\r\nA\r\n0\r\n\r\n", "", ErrMalformed},
		{"oversized trailer line", "1\r\nA\r\n0\r\nX: " + strings.Repeat("y", maxChunkLine-4) + "\r\n\r\n", "A", ErrMalformed},
		{"too much non-data", noisy, strings.Repeat("X", 190), ErrMalformed},
		{"empty", "", "", io.ErrUnexpectedEOF},
		{"EOF in a size line", "5\r\nhello\r\n1", "hello", io.ErrUnexpectedEOF},
		{"EOF before the size LF", "5\r", "", io.ErrUnexpectedEOF},
		{"EOF mid-chunk", "5\r\nhel", "hel", io.ErrUnexpectedEOF},
		{"EOF before the data CRLF", "5\r\nhello", "hello", io.ErrUnexpectedEOF},
		{"EOF inside the data CRLF", "5\r\nhello\r", "hello", io.ErrUnexpectedEOF},
		{"no last chunk", "2\r\nab\r\n", "ab", io.ErrUnexpectedEOF},
		{"EOF before the trailer", "2\r\nab\r\n0\r\n", "ab", io.ErrUnexpectedEOF},
		{"EOF in a trailer field", "2\r\nab\r\n0\r\nX: y\r\n", "ab", io.ErrUnexpectedEOF},
		{"EOF in the final CRLF", "2\r\nab\r\n0\r\n\r", "ab", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, pieces := range splits(tt.wire) {
				for _, pLen := range readSizes {
					t.Run(fmt.Sprintf("%s into %d", name, pLen), func(t *testing.T) {
						is := is.New(t)
						got, err, _ := decodeAll([]byte(tt.wire), pieces, 0, pLen)
						is.True(errors.Is(err, tt.err)) // the failure
						is.Equal(string(got), tt.want)  // and the payload before it
					})
				}
			}
		})
	}
}

// A read that takes bytes past the end of the body marks the connection
// as not reusable; bytes past it in the buffer stay there.
func TestChunkedBodyOverrun(t *testing.T) {
	tests := []struct {
		name             string
		prefix, pLen     int
		overrun          bool
		bufferedAtTheEnd int
	}{
		{"read in place", 0, 8 << 10, true, 0},
		{"decoded from the buffer", 100, 8 << 10, false, 5},
		{"small reads", 0, 16, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			wire := encode("", "hello", "world") + "EXTRA"
			got, err, c := decodeAll([]byte(wire), steps(1<<30), tt.prefix, tt.pLen)
			is.NoErr(err)                                  // the body ends cleanly
			is.Equal(string(got), "helloworld")            // with its payload
			is.Equal(c.overrun, tt.overrun)                // the bytes after it were read
			is.Equal(c.br.Buffered(), tt.bufferedAtTheEnd) // or are left in the buffer
		})
	}
}

// After the end or a failure, every Read returns the same.
func TestChunkedBodyOutcomesAreSticky(t *testing.T) {
	tests := []struct {
		name, wire string
		err        error
	}{
		{"end", "1\r\na\r\n0\r\n\r\n", nil},
		{"malformed", "1\r\na\r\nZ", ErrMalformed},
		{"truncated", "1\r\na", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err, c := decodeAll([]byte(tt.wire), steps(1<<30), 0, 8<<10)
			is.Equal(string(got), "a")      // the payload
			is.True(errors.Is(err, tt.err)) // then the outcome
			want := c.err
			n, err := c.Read(make([]byte, 8<<10))
			is.Equal(n, 0)      // nothing more
			is.Equal(err, want) // and the same outcome
			n, err = c.Read(nil)
			is.Equal(n, 0)      // an empty read
			is.Equal(err, want) // too
		})
	}
}

// stuckReader is a connection whose reads return nothing and no error.
type stuckReader struct{ reads int }

func (s *stuckReader) Read([]byte) (int, error) { s.reads++; return 0, nil }

// A connection that makes no progress fails the read rather than spin.
func TestChunkedBodyGivesUpOnEmptyReads(t *testing.T) {
	for _, pLen := range []int{8, 8 << 10} {
		t.Run(fmt.Sprintf("into %d", pLen), func(t *testing.T) {
			is := is.New(t)
			src := &stuckReader{}
			c := newChunkedBody(bufio.NewReaderSize(src, readBufferSize), src)
			n, err := c.Read(make([]byte, pLen))
			is.Equal(n, 0)                            // nothing read
			is.True(errors.Is(err, io.ErrNoProgress)) // the failure
			is.Equal(src.reads, maxEmptyReads)        // after a bounded number of reads
		})
	}
}
