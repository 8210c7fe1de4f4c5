package jsonscan

// maxDepth bounds the nesting Skip walks through.
const maxDepth = 512

// Cursor reads one JSON text held in a byte slice. Methods that consume a
// value report false and mark the cursor bad when the input does not hold
// what they expect; once bad, every read fails. A Cursor is reused across
// texts with Reset; it allocates only the strings Text returns and, while
// they grow, its scratch buffers for escaped names and strings.
type Cursor struct {
	buf     []byte
	pos     int // the next token: every read also consumes the white space after it
	bad     bool
	keyBuf  []byte
	textBuf []byte
}

// Reset starts reading b.
func (c *Cursor) Reset(b []byte) {
	c.buf, c.pos, c.bad = b, spaceEnd(b, 0), false
}

// Bad reports whether a read failed.
func (c *Cursor) Bad() bool { return c.bad }

// AtEnd reports whether only white space is left and no read failed.
func (c *Cursor) AtEnd() bool {
	return !c.bad && c.pos == len(c.buf)
}

func (c *Cursor) fail() bool {
	c.bad = true
	return false
}

// spaceEnd returns the index of the first byte at or after i that is not
// JSON white space, or len(buf).
func spaceEnd(buf []byte, i int) int {
	for i < len(buf) && buf[i] <= ' ' && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r') {
		i++
	}
	return i
}

// advance moves the cursor to i, the byte after a token, and past the white
// space there.
func (c *Cursor) advance(i int) {
	c.pos = spaceEnd(c.buf, i)
}

// Peek returns the first byte of the next value ('{', '[', '"', 't', 'n',
// a digit ...) without consuming it, or 0 at the end or when bad.
func (c *Cursor) Peek() byte {
	if c.bad || c.pos >= len(c.buf) {
		return 0
	}
	return c.buf[c.pos]
}

// iteration states of Members and Elems.
const (
	iterFirst uint8 = iota // before the first member or element
	iterNext               // after one: a ',' or the closing bracket comes
	iterDone               // the closing bracket was read, or a read failed
)

// Members iterates over the members of an object.
type Members struct {
	c     *Cursor
	state uint8
}

// Object starts reading an object; iterate its members with Members.Next.
func (c *Cursor) Object() Members {
	if c.Peek() != '{' {
		c.fail()
		return Members{c: c, state: iterDone}
	}
	c.advance(c.pos + 1)
	return Members{c: c}
}

// Next moves to the next member and returns its decoded name; the cursor is
// then at the member's value, which the caller must consume (read or Skip).
// The name is valid until the next call. Next returns false after the last
// member or on malformed input (then the cursor is bad).
func (m *Members) Next() ([]byte, bool) {
	c := m.c
	if m.state == iterDone || c.bad {
		return nil, false
	}
	buf, i := c.buf, c.pos
	if i < len(buf) {
		switch ch := buf[i]; {
		case ch == '}':
			c.advance(i + 1)
			m.state = iterDone
			return nil, false
		case m.state == iterNext && ch == ',':
			i = spaceEnd(buf, i+1)
		case m.state == iterNext:
			i = len(buf) // no separator: fail below
		}
	}
	if i >= len(buf) || buf[i] != '"' {
		m.state = iterDone
		return nil, c.fail()
	}
	m.state = iterNext
	end, plain := stringEnd(buf, i+1)
	if end < 0 {
		m.state = iterDone
		return nil, c.fail()
	}
	raw := buf[i+1 : end]
	i = spaceEnd(buf, end+1)
	if i >= len(buf) || buf[i] != ':' {
		m.state = iterDone
		return nil, c.fail()
	}
	c.advance(i + 1)
	if plain {
		return raw, true
	}
	key, ok := Unescape(c.keyBuf[:0], raw)
	c.keyBuf = key
	if !ok {
		m.state = iterDone
		return nil, c.fail()
	}
	return key, true
}

// Comma returns the offset of the ',' that follows the member whose value
// was just read, or -1 when no ',' follows it. An object read anew with
// ResumeObject at that offset continues as these Members do.
func (m *Members) Comma() int {
	c := m.c
	if m.state != iterNext || c.bad || c.pos >= len(c.buf) || c.buf[c.pos] != ',' {
		return -1
	}
	return c.pos
}

// ResumeObject starts reading b inside an object, at the ',' at offset
// comma, and returns the object's remaining Members. b[:comma+1] must equal
// the bytes of an earlier text up to the Comma its Members reported: the
// members before the ',' are then known to be well-formed and are not read
// again.
func (c *Cursor) ResumeObject(b []byte, comma int) Members {
	c.buf, c.pos, c.bad = b, comma, false
	if comma < 0 || comma >= len(b) || b[comma] != ',' {
		c.fail()
		return Members{c: c, state: iterDone}
	}
	return Members{c: c, state: iterNext}
}

// Elems iterates over the elements of an array.
type Elems struct {
	c     *Cursor
	state uint8
}

// Array starts reading an array; iterate its elements with Elems.Next.
func (c *Cursor) Array() Elems {
	if c.Peek() != '[' {
		c.fail()
		return Elems{c: c, state: iterDone}
	}
	c.advance(c.pos + 1)
	return Elems{c: c}
}

// Next moves to the next element, which the caller must consume. It returns
// false after the last element or on malformed input (then the cursor is bad).
func (e *Elems) Next() bool {
	c := e.c
	if e.state == iterDone || c.bad {
		return false
	}
	if c.pos >= len(c.buf) {
		e.state = iterDone
		return c.fail()
	}
	switch ch := c.buf[c.pos]; {
	case ch == ']':
		c.advance(c.pos + 1)
		e.state = iterDone
		return false
	case e.state == iterNext && ch == ',':
		c.advance(c.pos + 1)
	case e.state == iterNext:
		e.state = iterDone
		return c.fail()
	}
	e.state = iterNext
	return true
}

// str consumes a string and returns the bytes between its quotes; plain
// reports that they are the decoded value (see stringEnd).
func (c *Cursor) str() (raw []byte, plain, ok bool) {
	buf, i := c.buf, c.pos
	if c.bad || i >= len(buf) || buf[i] != '"' {
		return nil, false, c.fail()
	}
	end, plain := stringEnd(buf, i+1)
	if end < 0 {
		return nil, false, c.fail()
	}
	c.advance(end + 1)
	return buf[i+1 : end], plain, true
}
