package httpstream

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Endpoint is an engine URL that streams are posted to, parsed once with the
// headers of its requests, so that a stream's request is built without
// parsing or allocating either again. Make it with Streamer.Endpoint.
type Endpoint struct {
	url    *url.URL
	err    error       // why the URL did not parse; reported by every Post
	header http.Header // shared by every request to the endpoint: never modified
	desc   string      // the URL without its password, for errors
}

// Endpoint parses rawURL for Post. A URL that does not parse makes every
// Post to it fail like a request that could not be built.
func (s *Streamer) Endpoint(rawURL string) *Endpoint {
	u, err := url.Parse(rawURL)
	if err != nil {
		return &Endpoint{err: err, desc: rawURL}
	}
	// What http.NewRequest does with a host's empty port (Go issue 14836).
	u.Host = strings.TrimSuffix(u.Host, ":")
	h := http.Header{"Content-Type": {"application/json"}, "Accept": {"text/event-stream"}}
	switch {
	case s.authorization != "":
		h["Authorization"] = []string{s.authorization}
	case u.User != nil:
		// What http.Client adds for credentials in the URL.
		password, _ := u.User.Password()
		h["Authorization"] = []string{"Basic " + basicAuth(u.User.Username(), password)}
	}
	return &Endpoint{url: u, header: h, desc: u.Redacted()}
}

// newPost returns the POST of body to ep with ctx. Its URL and header are
// ep's, shared with every other request to ep: an http.RoundTripper must not
// modify a request.
func newPost(ctx context.Context, ep *Endpoint, body []byte) *http.Request {
	req := http.Request{
		Method: http.MethodPost, URL: ep.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: ep.header, Host: ep.url.Host, ContentLength: int64(len(body)),
		Body: http.NoBody, GetBody: noBody,
	}
	if len(body) > 0 {
		b := &postBody{data: body}
		req.Body, req.GetBody = b, b.reopen
	}
	return req.WithContext(ctx)
}

func noBody() (io.ReadCloser, error) { return http.NoBody, nil }

// postBody is the body of a request: body bytes that can be read again
// from the start (GetBody) when the request is sent a second time.
type postBody struct {
	data []byte
	off  int
}

func (b *postBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *postBody) Close() error { return nil }

func (b *postBody) reopen() (io.ReadCloser, error) { return &postBody{data: b.data}, nil }

// send sends req, the POST of body to ep. A client with neither a cookie jar
// nor a timeout hands it straight to its transport: http.Client.Do would
// copy the URL and the headers for cookies and redirects, and an engine
// answers a stream's POST with the stream. Should the answer be a redirect
// after all, the request goes again through the client, which follows it as
// it always did; errors read as the client's do.
func (s *Streamer) send(ctx context.Context, req *http.Request, ep *Endpoint, body []byte) (*http.Response, error) {
	if s.direct == nil {
		req.Header = ep.header.Clone() // a cookie jar adds to it
		return s.http.Do(req)
	}
	resp, err := s.direct.RoundTrip(req)
	switch {
	case err != nil:
		return nil, &url.Error{Op: "Post", URL: ep.desc, Err: err}
	case resp == nil:
		return nil, &url.Error{Op: "Post", URL: ep.desc, Err: fmt.Errorf("http: RoundTripper implementation (%T) returned a nil *Response with a nil error", s.direct)}
	case resp.Body == nil:
		resp.Body = http.NoBody
	}
	if !redirected(resp) {
		return resp, nil
	}
	resp.Body.Close()
	again := newPost(ctx, ep, body)
	again.Header = ep.header.Clone()
	return s.http.Do(again)
}

// redirected reports whether http.Client would follow the answer.
func redirected(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return resp.Header.Get("Location") != ""
	}
	return false
}

// directTransport returns the transport a client's requests may be handed
// to without the client (see send), or nil when the client has a cookie jar
// or a timeout to apply.
func directTransport(hc *http.Client) http.RoundTripper {
	if hc.Jar != nil || hc.Timeout != 0 {
		return nil
	}
	if hc.Transport == nil {
		return http.DefaultTransport
	}
	return hc.Transport
}

// basicAuth is the credential of "Authorization: Basic" (RFC 7617).
func basicAuth(username, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
}
