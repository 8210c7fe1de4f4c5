package jsonscan

// RawString consumes a string and returns its raw contents (escapes not
// decoded); use NeedsDecode and Unescape to get its value.
func (c *Cursor) RawString() ([]byte, bool) {
	raw, _, ok := c.str()
	return raw, ok
}

// AppendString consumes a string and appends its decoded value to dst.
func (c *Cursor) AppendString(dst []byte) ([]byte, bool) {
	raw, plain, ok := c.str()
	switch {
	case !ok:
		return dst, false
	case plain:
		return append(dst, raw...), true
	}
	out, ok := Unescape(dst, raw)
	if !ok {
		return out, c.fail()
	}
	return out, true
}

// AppendText consumes a string (or null, read as "") and appends its decoded
// value to dst; on failure it appends nothing.
func (c *Cursor) AppendText(dst []byte) ([]byte, bool) {
	if c.Null() {
		return dst, true
	}
	n := len(dst)
	out, ok := c.AppendString(dst)
	if !ok {
		return out[:n], false
	}
	return out, true
}

// Text consumes a string (or null, read as "") and returns its decoded
// value. It allocates only the returned string, and nothing for "".
func (c *Cursor) Text() (string, bool) {
	if c.Null() {
		return "", true
	}
	raw, plain, ok := c.str()
	switch {
	case !ok:
		return "", false
	case len(raw) == 0:
		return "", true
	case plain:
		return string(raw), true
	}
	out, ok := Unescape(c.textBuf[:0], raw)
	c.textBuf = out
	if !ok {
		return "", c.fail()
	}
	return string(out), true
}

// literal consumes the literal word (true, false or null) the cursor is at,
// or fails.
func (c *Cursor) literal(word string) bool {
	end := c.pos + len(word)
	if end > len(c.buf) || string(c.buf[c.pos:end]) != word {
		return c.fail()
	}
	c.advance(end)
	return true
}

// Null consumes a null and reports true when the next value is null;
// otherwise it consumes nothing and reports false.
func (c *Cursor) Null() bool {
	return c.Peek() == 'n' && c.literal("null")
}

// Bool consumes true or false.
func (c *Cursor) Bool() (value, ok bool) {
	switch c.Peek() {
	case 't':
		return true, c.literal("true")
	case 'f':
		return false, c.literal("false")
	}
	return false, c.fail()
}

// Int consumes a number. ok is true when it is an integer that fits an int64
// (a fraction or exponent consumes the number and reports false); anything
// that is not a number marks the cursor bad.
func (c *Cursor) Int() (int64, bool) {
	if c.bad {
		return 0, false
	}
	// The common case, a short integer, is read in one pass.
	buf, i := c.buf, c.pos
	neg := i < len(buf) && buf[i] == '-'
	if neg {
		i++
	}
	start := i
	var v int64
	for i < len(buf) && buf[i]-'0' <= 9 {
		v = v*10 + int64(buf[i]-'0')
		i++
	}
	if n := i - start; n > 0 && n <= 18 && (buf[start] != '0' || n == 1) &&
		(i == len(buf) || (buf[i] != '.' && buf[i] != 'e' && buf[i] != 'E')) {
		c.advance(i)
		if neg {
			v = -v
		}
		return v, true
	}
	return c.longInt()
}

// longInt is Int for numbers that are long, malformed or not integers.
func (c *Cursor) longInt() (int64, bool) {
	start, end, ok := c.number()
	if !ok {
		return 0, false
	}
	digits := c.buf[start:end]
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	const limit = 1<<63 - 1
	var v int64
	for _, d := range digits {
		if d < '0' || d > '9' || v > (limit-int64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + int64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// number consumes a JSON number and returns where it started and ended.
func (c *Cursor) number() (start, end int, ok bool) {
	if c.bad {
		return 0, 0, false
	}
	buf := c.buf
	start = c.pos
	i := start
	if i < len(buf) && buf[i] == '-' {
		i++
	}
	intStart := i
	for i < len(buf) && '0' <= buf[i] && buf[i] <= '9' {
		i++
	}
	if i == intStart || (buf[intStart] == '0' && i-intStart > 1) {
		return 0, 0, c.fail()
	}
	if i < len(buf) && buf[i] == '.' {
		i++
		fracStart := i
		for i < len(buf) && '0' <= buf[i] && buf[i] <= '9' {
			i++
		}
		if i == fracStart {
			return 0, 0, c.fail()
		}
	}
	if i < len(buf) && (buf[i] == 'e' || buf[i] == 'E') {
		i++
		if i < len(buf) && (buf[i] == '+' || buf[i] == '-') {
			i++
		}
		expStart := i
		for i < len(buf) && '0' <= buf[i] && buf[i] <= '9' {
			i++
		}
		if i == expStart {
			return 0, 0, c.fail()
		}
	}
	c.advance(i)
	return start, i, true
}

// Skip consumes one value of any kind, checking its structure.
func (c *Cursor) Skip() bool {
	return c.skip(0)
}

func (c *Cursor) skip(depth int) bool {
	if depth > maxDepth {
		return c.fail()
	}
	switch c.Peek() {
	case '{':
		m := c.Object()
		for _, ok := m.Next(); ok; _, ok = m.Next() {
			if !c.skip(depth + 1) {
				return false
			}
		}
	case '[':
		e := c.Array()
		for e.Next() {
			if !c.skip(depth + 1) {
				return false
			}
		}
	case '"':
		end, plain := stringEnd(c.buf, c.pos+1)
		switch {
		case end < 0:
			return c.fail()
		case !plain && !validString(c.buf[c.pos+1:end]):
			return c.fail()
		}
		c.advance(end + 1)
	case 't', 'f':
		c.Bool()
	case 'n':
		c.Null()
	default:
		c.number()
	}
	return !c.bad
}

// validString reports whether encoding/json accepts the raw string contents.
func validString(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c < 0x20 || c == '"':
			return false
		case c == '\\':
			if i+1 >= len(raw) {
				return false
			}
			switch raw[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if hex4(raw[i+2:]) < 0 {
					return false
				}
				i += 5
			default:
				return false
			}
		}
	}
	return true
}
