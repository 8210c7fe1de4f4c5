package transport_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
	"github.com/orchestratord/orchestratord/libs/engine/transport"
)

// BenchmarkStream is one streamed generation over loopback: the request,
// the head, 64 chunks of 250 bytes read through an 8 KiB buffer, the
// connection back to the pool.
func BenchmarkStream(b *testing.B) {
	var wire bytes.Buffer
	wire.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	for i := range 64 {
		frame := fmt.Sprintf("data: {\"id\":%d,\"text\":%q}\n\n", i, strings.Repeat("x", 200))
		fmt.Fprintf(&wire, "%x\r\n%s\r\n", len(frame), frame)
	}
	wire.WriteString("0\r\n\r\n")
	url := enginetest.CannedServer(b, wire.Bytes())
	tr := transport.New()
	b.Cleanup(tr.CloseIdleConnections)
	p := make([]byte, 8<<10)
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"prompt":"hi"}`))
		if err != nil {
			b.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := resp.Body.Read(p)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		resp.Body.Close()
	}
}
