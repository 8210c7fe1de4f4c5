package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// engineBody is what a saturated engine has ready: n chunks of size bytes,
// the last chunk and the empty trailer.
func engineBody(n, size int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", size, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

// BenchmarkChunkedBody reads a 64-chunk body of 250-byte chunks (16.3 KB)
// through an 8 KiB buffer, the way the SSE reader does, from a socket that
// has all of it ready.
func BenchmarkChunkedBody(b *testing.B) {
	wire := engineBody(64, 250)
	src := &countingReader{r: bytes.NewReader(wire)}
	br := bufio.NewReaderSize(src, readBufferSize)
	p := make([]byte, 8<<10)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		src.r.Reset(wire)
		br.Reset(src)
		r := newChunkedBody(br, src)
		var got int
		for {
			n, err := r.Read(p)
			got += n
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if got != 64*250 {
			b.Fatalf("read %d bytes", got)
		}
	}
	b.ReportMetric(float64(src.reads)/float64(b.N), "reads/op")
}

// countingReader counts the reads of the socket.
type countingReader struct {
	r     *bytes.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}
