package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

const (
	// maxChunkLine bounds a chunk-size line and a trailer line, line ending
	// included: what net/http's chunked reader accepts over a 4 KiB
	// bufio.Reader, the connection's read buffer before this decoder.
	maxChunkLine = 4 << 10
	// maxChunkExcess bounds the framing a sender may send beyond 16 bytes a
	// chunk and twice its data (long extensions around one-byte chunks),
	// as net/http's chunked reader does.
	maxChunkExcess = 16 << 10
	// minDirectRead: a Read into a smaller buffer fills the connection's
	// read buffer and decodes from there, so that a small buffer does not
	// cost a read syscall per few bytes.
	minDirectRead = 512
	// maxEmptyReads bounds the consecutive reads that return nothing and no
	// error (io.ErrNoProgress beyond, as bufio does).
	maxEmptyReads = 100
)

// chunkState is where the decoder is in the framing.
type chunkState uint8

const (
	stSize         chunkState = iota // the hex digits of a chunk size
	stSizeBlank                      // blanks after the size digits
	stExt                            // a chunk extension, skipped
	stSizeLF                         // the LF that ends a size line
	stData                           // chunk data
	stDataCR                         // the CR after chunk data
	stDataLF                         // and its LF
	stTrailerStart                   // the start of a trailer line
	stTrailerCR                      // a trailer line that is only a CR so far
	stTrailerField                   // a trailer field, skipped
	stDone                           // after the empty line that ends the trailer
)

// chunkedBody decodes a chunked body in place. Bytes already in the
// connection's buffer (those that came with the head) are decoded from
// there; after them a Read reads the connection straight into the caller's
// buffer and moves the chunk data down over the framing, so that one read
// fills it with payload and no intermediate buffer is involved. The framing
// parser is a state machine fed a byte at a time, so any split between
// reads is the same; it keeps no bytes, only counters. It accepts what
// net/http's chunked reader accepts (RFC 9112 §7.1: CRLF line endings, hex
// sizes of at most 16 digits, extensions skipped, blanks after the size)
// and reads the trailer section to its empty line, so that the connection
// is at the end of the answer.
type chunkedBody struct {
	br *bufio.Reader // the connection's read buffer
	nc io.Reader     // the connection, read when br is empty

	size   uint64 // the chunk size, then its data not yet read
	excess int64  // framing beyond the allowance (see maxChunkExcess)
	err    error  // sticky: io.EOF at the end, or the failure
	line   int32  // bytes of the current line so far
	st     chunkState
	digits uint8 // hex digits of the size so far

	// overrun: a read went past the end of the body, so bytes the
	// connection had for later were consumed; it cannot be reused.
	overrun bool
}

func newChunkedBody(br *bufio.Reader, nc io.Reader) *chunkedBody {
	return &chunkedBody{br: br, nc: nc}
}

// Read returns the payload bytes that are available, blocking only when it
// has none yet.
func (c *chunkedBody) Read(p []byte) (int, error) {
	n, empty := 0, 0
	for n == 0 && len(p) > 0 && c.err == nil {
		if c.br.Buffered() == 0 && len(p) < minDirectRead {
			if _, err := c.br.Peek(1); err != nil {
				c.fail(err)
				break
			}
		}
		if buffered := c.br.Buffered(); buffered > 0 {
			src, _ := c.br.Peek(buffered)
			k, used, err := c.decode(p, src)
			_, _ = c.br.Discard(used)
			n, c.err = k, err
		} else {
			m, rerr := c.nc.Read(p)
			k, used, err := c.decode(p, p[:m])
			n, c.err = k, err
			switch {
			case err != nil: // the framing is broken; c.err has it
			case used < m:
				c.overrun = true
			case c.st != stDone && rerr != nil:
				c.fail(rerr)
			case m == 0:
				if empty++; empty >= maxEmptyReads {
					c.err = io.ErrNoProgress
				}
			}
		}
		if c.err == nil && c.st == stDone {
			c.err = io.EOF
		}
	}
	return n, c.err
}

// fail records a read failure; the connection ending before the body did
// is io.ErrUnexpectedEOF.
func (c *chunkedBody) fail(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	c.err = err
}

// decode parses src, copying chunk data to dst. dst may be src itself
// (the data only ever moves down). It stops when dst is full at data, at
// the end of the body or at an error, and says how many bytes of src it
// consumed.
func (c *chunkedBody) decode(dst, src []byte) (n, used int, err error) {
	i := 0
	for i < len(src) && c.st != stDone {
		if c.st == stData {
			k := int(min(c.size, uint64(len(src)-i), uint64(len(dst)-n)))
			if k == 0 {
				break // dst is full
			}
			n += copy(dst[n:], src[i:i+k])
			i += k
			c.size -= uint64(k)
			if c.size == 0 {
				c.st = stDataCR
			}
			continue
		}
		if err := c.frame(src[i]); err != nil {
			return n, i, err
		}
		i++
	}
	return n, i, nil
}

// frame advances the parser by one framing byte.
func (c *chunkedBody) frame(b byte) error {
	if c.line++; c.line > maxChunkLine {
		return fmt.Errorf("%w: chunked line longer than %d bytes", ErrMalformed, maxChunkLine)
	}
	switch c.st {
	case stSize:
		if d, ok := unhex(b); ok {
			if c.digits == 16 {
				return fmt.Errorf("%w: chunk size longer than 16 hex digits", ErrMalformed)
			}
			c.size = c.size<<4 | uint64(d)
			c.digits++
			return nil
		}
		if c.digits == 0 {
			return fmt.Errorf("%w: chunk size line starts with %q", ErrMalformed, b)
		}
		switch b {
		case ';':
			c.st = stExt
		case ' ', '\t':
			c.st = stSizeBlank
		case '\r':
			c.st = stSizeLF
		default:
			return fmt.Errorf("%w: byte %q in a chunk size", ErrMalformed, b)
		}
	case stSizeBlank:
		switch b {
		case ' ', '\t':
		case '\r':
			c.st = stSizeLF
		default:
			return fmt.Errorf("%w: byte %q after a chunk size", ErrMalformed, b)
		}
	case stExt:
		switch b {
		case '\r':
			c.st = stSizeLF
		case '\n':
			return fmt.Errorf("%w: chunk size line ends with a bare LF", ErrMalformed)
		}
	case stSizeLF:
		if b != '\n' {
			return fmt.Errorf("%w: CR without LF in a chunk size line", ErrMalformed)
		}
		return c.endSizeLine()
	case stDataCR:
		if b != '\r' {
			return fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformed)
		}
		c.st = stDataLF
	case stDataLF:
		if b != '\n' {
			return fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformed)
		}
		c.st, c.line = stSize, 0
	case stTrailerStart, stTrailerCR:
		switch {
		case b == '\n':
			c.st = stDone
		case b == '\r' && c.st == stTrailerStart:
			c.st = stTrailerCR
		default:
			c.st = stTrailerField
		}
	case stTrailerField:
		if b == '\n' {
			c.st, c.line = stTrailerStart, 0
		}
	}
	return nil
}

// endSizeLine starts the chunk's data, or the trailer after the last chunk.
func (c *chunkedBody) endSizeLine() error {
	// net/http's accounting, its overflow for sizes of 2^62 and more
	// included, so that the same bodies pass: the line and the CRLF after
	// the data count, 16 bytes and twice the data are allowed.
	c.excess += int64(c.line)
	c.excess -= 16 + 2*int64(c.size)
	c.excess = max(c.excess, 0)
	c.digits, c.line = 0, 0
	switch {
	case c.size == 0:
		c.st = stTrailerStart
	case c.excess > maxChunkExcess:
		return fmt.Errorf("%w: chunked encoding contains too much non-data", ErrMalformed)
	default:
		c.st = stData
	}
	return nil
}

func unhex(b byte) (byte, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}
