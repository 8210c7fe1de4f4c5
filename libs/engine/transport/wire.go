package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// errBodyClosed is returned by a Read after Close.
var errBodyClosed = errors.New("transport: read on closed response body")

// appendRequest appends req to dst as HTTP/1.1 with a Content-Length framed
// body, so that the request goes out in one write.
func appendRequest(dst []byte, req *http.Request) ([]byte, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	dst = append(dst, req.Method...)
	dst = append(dst, ' ')
	dst = append(dst, req.URL.RequestURI()...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\n"...)
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection":
			continue
		}
		for _, v := range vs {
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	if req.Close {
		dst = append(dst, "Connection: close\r\n"...)
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	if !hasBody {
		if req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
			dst = append(dst, "Content-Length: 0\r\n"...)
		}
		return append(dst, "\r\n"...), nil
	}
	defer func() { _ = req.Body.Close() }()
	if req.ContentLength > 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, req.ContentLength, 10)
		dst = append(dst, "\r\n\r\n"...)
		n := len(dst)
		dst = slices.Grow(dst, int(req.ContentLength))[:n+int(req.ContentLength)]
		if _, err := io.ReadFull(req.Body, dst[n:]); err != nil {
			return dst, fmt.Errorf("transport: read the request body: %w", err)
		}
		return dst, nil
	}
	payload, err := io.ReadAll(req.Body)
	if err != nil {
		return dst, fmt.Errorf("transport: read the request body: %w", err)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, payload...), nil
}

// readHead reads the status line and headers of an answer.
func readHead(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return nil, err
	}
	proto, rest, ok := strings.Cut(line, " ")
	major, minor, okProto := http.ParseHTTPVersion(proto)
	if !ok || !okProto || major != 1 {
		return nil, fmt.Errorf("%w: status line %q", ErrMalformed, truncate(line))
	}
	codeText, text, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil || len(codeText) != 3 || code < 100 {
		return nil, fmt.Errorf("%w: status line %q", ErrMalformed, truncate(line))
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("%w: headers: %w", ErrMalformed, err)
	}
	resp := &http.Response{
		Status: codeText + " " + text, StatusCode: code, Proto: proto, ProtoMajor: major, ProtoMinor: minor,
		Header: http.Header(hdr), Request: req, ContentLength: -1,
	}
	if cl := hdr.Get("Content-Length"); cl != "" && !chunked(resp.Header) {
		n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: Content-Length %q", ErrMalformed, truncate(cl))
		}
		resp.ContentLength = n
	}
	return resp, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// chunked reports whether the body is sent in chunks.
func chunked(h http.Header) bool {
	te := h.Values("Transfer-Encoding")
	if len(te) == 0 {
		return false
	}
	last := te[len(te)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "chunked")
}

// keepAlive reports whether the connection may carry another request after
// this answer.
func keepAlive(req *http.Request, resp *http.Response) bool {
	if req.Close || hasToken(req.Header, "close") || hasToken(resp.Header, "close") {
		resp.Close = true
		return false
	}
	if resp.ProtoMinor == 0 && !hasToken(resp.Header, "keep-alive") {
		resp.Close = true
		return false
	}
	return true
}

func hasToken(h http.Header, token string) bool {
	for _, v := range h.Values("Connection") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), token) {
				return true
			}
		}
	}
	return false
}

// body is a response body read on the caller's goroutine. At its end the
// connection goes back to the pool; closed early, it is closed.
type body struct {
	t    *Transport
	c    *conn
	ctx  context.Context
	stop func() bool // stops the cancelation hook; false when it ran
	keep bool
	src  io.Reader
	eof  bool
	done bool
}

func (b *body) Read(p []byte) (int, error) {
	switch {
	case b.eof:
		return 0, io.EOF
	case b.done:
		return 0, errBodyClosed
	}
	n, err := b.src.Read(p)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF):
		b.eof = true
		b.finish(!b.overran())
		return n, io.EOF
	default:
		b.finish(false)
		if cerr := b.ctx.Err(); cerr != nil {
			return n, cerr
		}
		return n, err
	}
}

// overran reports whether bytes past the end of the answer came. An engine
// sends nothing between answers, so the connection's framing is lost: the
// connection is closed rather than reused.
func (b *body) overran() bool {
	if cb, ok := b.src.(*chunkedBody); ok && cb.overrun {
		return true
	}
	return b.c.br.Buffered() > 0
}

func (b *body) Close() error {
	b.finish(false)
	return nil
}

// finish releases the connection: back to the pool when the body was read
// to its end, the answer allows it and no cancelation touched it.
func (b *body) finish(complete bool) {
	if b.done {
		return
	}
	b.done = true
	if b.stop() && complete && b.keep {
		b.t.put(b.c)
		return
	}
	b.c.nc.Close()
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// lengthReader reads a Content-Length body; the connection ending before
// the length is io.ErrUnexpectedEOF.
type lengthReader struct {
	r    io.Reader
	left int64
}

func (l *lengthReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	switch {
	case l.left == 0:
		return n, io.EOF
	case errors.Is(err, io.EOF):
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
