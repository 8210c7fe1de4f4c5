package httpstream

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/orchestratord/orchestratord/libs/engine/internal/sse"
)

// Buffer sizes and limits of a stream.
const (
	// DefaultReadBuffer is the size of the buffered reader of one stream.
	DefaultReadBuffer = 8 << 10
	// maxLine bounds one event line (a llama.cpp final frame echoes the prompt).
	maxLine = 16 << 20
	// maxDrain bounds what is read after the terminal event to reuse the connection.
	maxDrain = 64 << 10
	// drainGrace bounds how long the end of the body is awaited after the
	// terminal event before the connection is closed instead.
	drainGrace = 50 * time.Millisecond
	// maxErrorBody bounds the body of a non-2xx answer that is read.
	maxErrorBody = 64 << 10
	// initialBatch is the number of chunks a batch has room for at first.
	initialBatch = 64
	// initialBatchText is the room for the chunk texts of a batch at first.
	initialBatchText = 1 << 10
	// maxPooledBatchText bounds the text room a pooled reader keeps.
	maxPooledBatchText = 64 << 10
)

// NewHTTPClient returns the HTTP client adapters use unless given one: HTTP/1.1
// keep-alive with enough idle connections per engine for every concurrent
// stream, no response compression, and no overall timeout (a stream lasts as
// long as the generation; the token timeout and the context bound it).
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// Streamer posts generations to one engine and reads their streams. It is
// safe for concurrent use.
type Streamer struct {
	http          *http.Client
	direct        http.RoundTripper // nil: every request goes through http
	engine        string
	authorization string
	readers       sync.Pool
}

// Config configures a Streamer.
type Config struct {
	Engine     string       // the engine name used in errors
	HTTPClient *http.Client // nil: NewHTTPClient()
	ReadBuffer int          // bytes; <= 0: DefaultReadBuffer
	APIKey     string       // sent as "Authorization: Bearer <key>" when set
}

// NewStreamer returns a Streamer configured by cfg.
func NewStreamer(cfg Config) *Streamer {
	hc, bufSize := cfg.HTTPClient, cfg.ReadBuffer
	if hc == nil {
		hc = NewHTTPClient()
	}
	if bufSize <= 0 {
		bufSize = DefaultReadBuffer
	}
	s := &Streamer{http: hc, direct: directTransport(hc), engine: cfg.Engine}
	if cfg.APIKey != "" {
		s.authorization = "Bearer " + cfg.APIKey
	}
	s.readers.New = func() any {
		return &streamReader{lines: sse.NewReader(bufSize, maxLine), batch: make([]string, 0, initialBatch),
			text: make([]byte, 0, initialBatchText), ends: make([]int, 0, initialBatch)}
	}
	return s
}

// Engine names the engine in errors.
func (s *Streamer) Engine() string { return s.engine }

// CloseIdleConnections closes the kept-alive connections to the engine.
func (s *Streamer) CloseIdleConnections() { s.http.CloseIdleConnections() }

// setHeaders sets the headers every request carries.
func (s *Streamer) setHeaders(req *http.Request, accept string) {
	req.Header.Set("Accept", accept)
	if s.authorization != "" {
		req.Header.Set("Authorization", s.authorization)
	}
}

// streamReader is the pooled per-stream state: the line reader and the batch.
type streamReader struct {
	lines *sse.Reader
	batch []string // the chunk texts of the last batch
	text  []byte   // the texts of the batch being read, one after another
	ends  []int    // where each text ends in text
}

func (s *Streamer) acquire() *streamReader {
	return s.readers.Get().(*streamReader)
}

func (s *Streamer) release(rd *streamReader) {
	rd.lines.Reset(nil)
	clear(rd.batch[:cap(rd.batch)])
	rd.batch = rd.batch[:0]
	if cap(rd.text) > maxPooledBatchText {
		rd.text = make([]byte, 0, initialBatchText)
	}
	s.readers.Put(rd)
}
