package jsonscan

import "bytes"

// maxDepth bounds the nesting Skip walks through.
const maxDepth = 512

// Cursor reads one JSON text held in a byte slice. Methods that consume a
// value report false and mark the cursor bad when the input does not hold
// what they expect; once bad, every read fails. A Cursor is reused across
// texts with Reset; it allocates only the strings Text returns and, while
// they grow, its scratch buffers for escaped names and strings.
type Cursor struct {
	buf     []byte
	pos     int
	bad     bool
	keyBuf  []byte
	textBuf []byte
}

// Reset starts reading b.
func (c *Cursor) Reset(b []byte) {
	c.buf, c.pos, c.bad = b, 0, false
}

// Bad reports whether a read failed.
func (c *Cursor) Bad() bool { return c.bad }

// AtEnd reports whether only white space is left and no read failed.
func (c *Cursor) AtEnd() bool {
	c.skipSpace()
	return !c.bad && c.pos == len(c.buf)
}

func (c *Cursor) fail() bool {
	c.bad = true
	return false
}

func (c *Cursor) skipSpace() {
	for c.pos < len(c.buf) {
		switch c.buf[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value ('{', '[', '"', 't', 'n',
// a digit ...) without consuming it, or 0 at the end or when bad.
func (c *Cursor) Peek() byte {
	c.skipSpace()
	if c.bad || c.pos >= len(c.buf) {
		return 0
	}
	return c.buf[c.pos]
}

// Members iterates over the members of an object.
type Members struct {
	c       *Cursor
	started bool
	done    bool
}

// Object starts reading an object; iterate its members with Members.Next.
func (c *Cursor) Object() Members {
	if c.Peek() != '{' {
		c.fail()
		return Members{c: c, done: true}
	}
	c.pos++
	return Members{c: c}
}

// Next moves to the next member and returns its decoded name; the cursor is
// then at the member's value, which the caller must consume (read or Skip).
// The name is valid until the next call. Next returns false after the last
// member or on malformed input (then the cursor is bad).
func (m *Members) Next() ([]byte, bool) {
	c := m.c
	if m.done || c.bad {
		return nil, false
	}
	c.skipSpace()
	if c.pos >= len(c.buf) {
		m.done = true
		return nil, c.fail()
	}
	switch ch := c.buf[c.pos]; {
	case ch == '}':
		c.pos++
		m.done = true
		return nil, false
	case m.started && ch == ',':
		c.pos++
		c.skipSpace()
	case m.started:
		m.done = true
		return nil, c.fail()
	}
	m.started = true
	raw, ok := c.rawString()
	if !ok {
		m.done = true
		return nil, false
	}
	c.skipSpace()
	if c.pos >= len(c.buf) || c.buf[c.pos] != ':' {
		m.done = true
		return nil, c.fail()
	}
	c.pos++
	if !NeedsDecode(raw) {
		return raw, true
	}
	key, ok := Unescape(c.keyBuf[:0], raw)
	c.keyBuf = key
	if !ok {
		m.done = true
		return nil, c.fail()
	}
	return key, true
}

// Elems iterates over the elements of an array.
type Elems struct {
	c       *Cursor
	started bool
	done    bool
}

// Array starts reading an array; iterate its elements with Elems.Next.
func (c *Cursor) Array() Elems {
	if c.Peek() != '[' {
		c.fail()
		return Elems{c: c, done: true}
	}
	c.pos++
	return Elems{c: c}
}

// Next moves to the next element, which the caller must consume. It returns
// false after the last element or on malformed input (then the cursor is bad).
func (e *Elems) Next() bool {
	c := e.c
	if e.done || c.bad {
		return false
	}
	c.skipSpace()
	if c.pos >= len(c.buf) {
		e.done = true
		return c.fail()
	}
	switch ch := c.buf[c.pos]; {
	case ch == ']':
		c.pos++
		e.done = true
		return false
	case e.started && ch == ',':
		c.pos++
	case e.started:
		e.done = true
		return c.fail()
	}
	e.started = true
	return true
}

// rawString consumes a string and returns the bytes between its quotes.
func (c *Cursor) rawString() ([]byte, bool) {
	c.skipSpace()
	if c.pos >= len(c.buf) || c.buf[c.pos] != '"' {
		return nil, c.fail()
	}
	start := c.pos + 1
	for i := start; ; {
		j := bytes.IndexByte(c.buf[i:], '"')
		if j < 0 {
			return nil, c.fail()
		}
		end := i + j
		slashes := 0
		for k := end - 1; k >= start && c.buf[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 0 {
			c.pos = end + 1
			return c.buf[start:end], true
		}
		i = end + 1
	}
}
