package simengine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discardWriter is a flushable ResponseWriter that drops the bytes, to time
// the engine side of a stream without a network.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Flush()                      {}

func benchmarkEngineSide(b *testing.B, path, body string) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{h: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		s.ServeHTTP(w, r)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64, "ns/token")
}

// BenchmarkEngineSideOpenAI64 is one 64-token /v1/completions stream, engine
// side only.
func BenchmarkEngineSideOpenAI64(b *testing.B) {
	benchmarkEngineSide(b, "/v1/completions", `{"prompt":"bench","max_tokens":64,"stream":true}`)
}

// BenchmarkEngineSideLlamaCpp64 is one 64-token /completion stream, engine
// side only.
func BenchmarkEngineSideLlamaCpp64(b *testing.B) {
	benchmarkEngineSide(b, "/completion", `{"prompt":"bench","n_predict":64,"stream":true}`)
}

// BenchmarkDirectStream64 is one 64-token stream over loopback HTTP, client
// included: the direct path of the relay benchmark.
func BenchmarkDirectStream64(b *testing.B) {
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	client := ts.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(ts.URL+"/v1/completions", "application/json",
			strings.NewReader(`{"prompt":"bench","max_tokens":64,"stream":true}`))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}
