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
		var r io.Reader = newChunkedBody(br, src) // held as the body holds it
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

// countingReader counts the reads of the socket, src when set, else r.
type countingReader struct {
	r     *bytes.Reader
	src   io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	if c.src != nil {
		return c.src.Read(p)
	}
	return c.r.Read(p)
}

// BenchmarkReadBufferSize reads an answer, the head tools/simengine sends
// (132 bytes) then 64 chunks of 250 bytes, through connection read buffers
// of several sizes into an 8 KiB buffer; the engine has every chunk ready
// (saturated) or sends them one at a time, the head with the first
// (trickle). reads/op is what readBufferSize decides.
func BenchmarkReadBufferSize(b *testing.B) {
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nDate: Fri, 27 Nov 2026 09:57:07 GMT\r\nTransfer-Encoding: chunked\r\n\r\n"
	wire := append([]byte(head), engineBody(64, 250)...)
	chunk := len(engineBody(1, 250)) - len("0\r\n\r\n")
	pieces := map[string]func() func() int{
		"saturated": func() func() int { return steps(1 << 30) },
		"trickle": func() func() int {
			first := true
			return func() int {
				if first {
					first = false
					return len(head) + chunk
				}
				return chunk
			}
		},
	}
	for _, mode := range []string{"saturated", "trickle"} {
		for _, size := range []int{512, 1 << 10, 2 << 10, 4 << 10, 16 << 10} {
			b.Run(fmt.Sprintf("%s/%dB", mode, size), func(b *testing.B) {
				src := &splitReader{}
				counted := &countingReader{r: bytes.NewReader(nil)}
				br := bufio.NewReaderSize(counted, size)
				p := make([]byte, 8<<10)
				b.ReportAllocs()
				for b.Loop() {
					*src = splitReader{data: wire, next: pieces[mode]()}
					counted.reads, counted.src = 0, src
					br.Reset(counted)
					resp, err := readHead(br, nil)
					if err != nil || !chunked(resp.Header) {
						b.Fatal(resp, err)
					}
					r := newChunkedBody(br, counted)
					for {
						_, err := r.Read(p)
						if errors.Is(err, io.EOF) {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(counted.reads), "reads/op")
				}
			})
		}
	}
}
