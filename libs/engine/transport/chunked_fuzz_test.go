package transport

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httputil"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// referenceChunked is the decoder chunkedBody replaced:
// net/http/httputil's chunked reader over a 4 KiB bufio.Reader, then the
// trailer read line by line to its empty line. It returns the payload,
// the failure (nil at the end of the body) and the bytes left after it.
func referenceChunked(wire []byte) ([]byte, error, []byte) {
	src := bytes.NewReader(wire)
	br := bufio.NewReaderSize(src, maxChunkLine)
	out, err := io.ReadAll(httputil.NewChunkedReader(br))
	for err == nil {
		var line []byte
		line, err = br.ReadSlice('\n')
		if len(line) <= 2 && strings.TrimRight(string(line), "\r\n") == "" && err == nil {
			break
		}
	}
	rest, _ := io.ReadAll(br) // br reads on from src
	return out, err, rest
}

// FuzzChunkedBody decodes the same bytes with chunkedBody, cut between
// reads and buffered as the fuzzer says, and with the reference. Both must
// give the same payload and both end cleanly or both fail; the failures
// may differ (the reference returns unexported errors; chunkedBody wraps
// ErrMalformed and fails at the first bad byte rather than at the end of
// its line). After a clean end chunkedBody must have consumed what the
// reference did, unless it read past the end in place, which it reports.
func FuzzChunkedBody(f *testing.F) {
	seeds := []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"00A;x=y\r\n0123456789\r\n0 \t\r\nX: y\r\n\r\nnext",
		"1;" + strings.Repeat("e", 30) + "\r\nX\r\n0\r\n\r\n",
		"2\r\nab\r\n0\r\n\rx\r\n\n",
		"5\r\nhel",
		"5 ;x\r\nhello\r\n0\r\n\r\n",
		"fffffffffffffffff\r\n",
		"4000000000000000\r\nabc",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint64(i), uint16(8<<10), uint16(0))
		f.Add([]byte(s), uint64(i), uint16(3), uint16(7))
	}
	f.Fuzz(func(t *testing.T, wire []byte, seed uint64, pLen, prefix uint16) {
		want, wantErr, wantRest := referenceChunked(wire)
		got, err, c := decodeAll(wire, randomSteps(seed, 1+int(seed%257)), int(prefix), 1+int(pLen)%(16<<10))
		if !bytes.Equal(got, want) {
			t.Fatalf("payload %q, the reference gives %q", got, want)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("error %v, the reference gives %v", err, wantErr)
		}
		if err != nil || c.overrun {
			return
		}
		rest, _ := io.ReadAll(c.br) // c.br reads on from c.nc
		if !bytes.Equal(rest, wantRest) {
			t.Fatalf("left %q after the body, the reference leaves %q", rest, wantRest)
		}
	})
}

// The reference and the decoder agree on the table tests' bodies.
func TestReferenceAgreesOnTheSeeds(t *testing.T) {
	tests := []struct {
		name, wire string
		fails      bool
	}{
		{"clean", "5\r\nhello\r\n0\r\nX: y\r\n\r\n", false},
		{"blank before extension", "5 ;x\r\nhello\r\n0\r\n\r\n", true},
		{"size line of 4096 bytes", "1;" + strings.Repeat("x", maxChunkLine-4) + "\r\nA\r\n0\r\n\r\n", false},
		{"size line of 4097 bytes", "1;" + strings.Repeat("x", maxChunkLine-3) + "\r\nA\r\n0\r\n\r\n", true},
		{"trailer line of 4096 bytes", "1\r\nA\r\n0\r\nX: " + strings.Repeat("y", maxChunkLine-5) + "\r\n\r\n", false},
		{"trailer line of 4097 bytes", "1\r\nA\r\n0\r\nX: " + strings.Repeat("y", maxChunkLine-4) + "\r\n\r\n", true},
		{"too much non-data", strings.Repeat("1;"+strings.Repeat("e", 100)+"\r\nX\r\n", 200) + "0\r\n\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			want, wantErr, _ := referenceChunked([]byte(tt.wire))
			got, err, _ := decodeAll([]byte(tt.wire), steps(1<<30), 0, 8<<10)
			is.Equal(string(got), string(want)) // the same payload
			is.Equal(wantErr != nil, tt.fails)  // the reference fails as expected
			is.Equal(err != nil, tt.fails)      // and so does the decoder
		})
	}
}
