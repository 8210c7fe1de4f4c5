package transport_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// Every kind of request body goes out framed by its Content-Length, the
// body whole, the headers as set.
func TestRequestFraming(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %d %q %s", r.Method, r.ContentLength, b, r.Header.Get("X-Test"))
	})
	hc, _ := client(t)
	tests := []struct {
		name, method string
		body         func() io.Reader
		want         string
	}{
		{"known length", http.MethodPost, func() io.Reader { return strings.NewReader(`{"a":1}`) }, `POST 7 "{\"a\":1}" v`},
		{"unknown length", http.MethodPost, func() io.Reader { return io.MultiReader(strings.NewReader("ab"), strings.NewReader("cd")) }, `POST 4 "abcd" v`},
		{"post without body", http.MethodPost, func() io.Reader { return nil }, `POST 0 "" v`},
		{"get without body", http.MethodGet, func() io.Reader { return nil }, `GET 0 "" v`},
		{"large body", http.MethodPost, func() io.Reader { return strings.NewReader(strings.Repeat("x", 100<<10)) }, fmt.Sprintf("POST %d %q v", 100<<10, strings.Repeat("x", 100<<10))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			for range 2 { // a fresh connection, then a reused one with a recycled buffer
				req, err := http.NewRequest(tt.method, srv.URL+"/x", tt.body())
				is.NoErr(err) // request
				req.Header.Set("X-Test", "v")
				resp, err := hc.Do(req)
				is.NoErr(err) // answered
				b, err := io.ReadAll(resp.Body)
				is.NoErr(err) // body read
				is.NoErr(resp.Body.Close())
				is.Equal(string(b), tt.want) // the server saw the request as sent
			}
		})
	}
}
