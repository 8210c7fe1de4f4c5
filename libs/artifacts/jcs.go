package artifacts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects Canonical accepts.
const MaxDepth = 512

// Canonical returns the RFC 8785 (JCS) canonical form of the JSON value v:
// no insignificant whitespace, object members sorted by the UTF-16 code units
// of their keys, strings escaped as ECMAScript's JSON.stringify does (only
// '"', '\\' and control characters; everything else literal UTF-8), and
// numbers re-serialized as ECMAScript's Number.prototype.toString formats an
// IEEE 754 double (so 1E+2 → 100, 1e21 → 1e+21, -0 → 0, 4.50 → 4.5).
//
// Input that JCS cannot canonicalize is rejected with ErrInvalid: malformed
// JSON, trailing data, invalid UTF-8, lone surrogate escapes, duplicate
// object keys, numbers outside the range of a double, and nesting deeper than
// MaxDepth.
//
// Input that is canonical already (as documents built with AppendString and
// AppendCanonicalNumber are) is recognized in one pass and returned as a
// copy, without building a tree.
func Canonical(v json.RawMessage) ([]byte, error) {
	if isCanonical(v) {
		return bytes.Clone(v), nil
	}
	return canonicalFull(v)
}

// canonicalView is Canonical without the copy: canonical input is returned
// as is, so the result may alias v. For callers that only read it.
func canonicalView(v json.RawMessage) ([]byte, error) {
	if isCanonical(v) {
		return v, nil
	}
	return canonicalFull(v)
}

// canonicalFull parses v into a tree, sorts and re-emits it.
func canonicalFull(v json.RawMessage) ([]byte, error) {
	p := parser{data: v}
	val, err := p.document()
	if err != nil {
		return nil, err
	}
	return appendValue(make([]byte, 0, len(v)), &val), nil
}

type valueKind uint8

const (
	kindNull valueKind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

type value struct {
	kind valueKind
	num  float64
	str  string
	arr  []value
	obj  []member
}

type member struct {
	key string
	val value
}

type parser struct {
	data  []byte
	pos   int
	depth int
}

func (p *parser) fail(msg string) error {
	return fmt.Errorf("%w: JSON: %s at offset %d", ErrInvalid, msg, p.pos)
}

func (p *parser) document() (value, error) {
	v, err := p.value()
	if err != nil {
		return value{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return value{}, p.fail("data after the value")
	}
	return v, nil
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (value, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return value{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.string()
		return value{kind: kindString, str: s}, err
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	case c == 't':
		return value{kind: kindTrue}, p.literal("true")
	case c == 'f':
		return value{kind: kindFalse}, p.literal("false")
	case c == 'n':
		return value{kind: kindNull}, p.literal("null")
	default:
		return value{}, p.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *parser) literal(lit string) error {
	if len(p.data)-p.pos < len(lit) || string(p.data[p.pos:p.pos+len(lit)]) != lit {
		return p.fail("invalid literal")
	}
	p.pos += len(lit)
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.fail("nesting deeper than " + strconv.Itoa(MaxDepth))
	}
	return nil
}

func (p *parser) array() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // '['
	v := value{kind: kindArray}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		elem, err := p.value()
		if err != nil {
			return value{}, err
		}
		v.arr = append(v.arr, elem)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.fail("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return v, nil
		default:
			return value{}, p.fail("expected ',' or ']'")
		}
	}
}

func (p *parser) object() (value, error) {
	if err := p.enter(); err != nil {
		return value{}, err
	}
	p.pos++ // '{'
	v := value{kind: kindObject}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return v, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return value{}, p.fail("expected an object key")
		}
		key, err := p.string()
		if err != nil {
			return value{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return value{}, p.fail("expected ':'")
		}
		p.pos++
		elem, err := p.value()
		if err != nil {
			return value{}, err
		}
		v.obj = append(v.obj, member{key: key, val: elem})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return value{}, p.fail("unterminated object")
		}
		if p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.data[p.pos] != '}' {
			return value{}, p.fail("expected ',' or '}'")
		}
		p.pos++
		p.depth--
		slices.SortFunc(v.obj, func(a, b member) int { return compareUTF16(a.key, b.key) })
		for i := 1; i < len(v.obj); i++ {
			if v.obj[i].key == v.obj[i-1].key {
				return value{}, p.fail("duplicate object key " + strconv.Quote(v.obj[i].key))
			}
		}
		return v, nil
	}
}

// string parses a string starting at the opening quote.
func (p *parser) string() (string, error) {
	p.pos++ // '"'
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			return string(s), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.pos++
	}
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in string")
		case c == '\\':
			var err error
			if buf, err = p.escape(buf); err != nil {
				return "", err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", p.fail("invalid UTF-8")
			}
			buf = append(buf, p.data[p.pos:p.pos+n]...)
			p.pos += n
		}
	}
	return "", p.fail("unterminated string")
}

// escape decodes one escape sequence starting at the backslash.
func (p *parser) escape(buf []byte) ([]byte, error) {
	if p.pos+1 >= len(p.data) {
		return nil, p.fail("unterminated escape")
	}
	c := p.data[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return nil, p.fail(`invalid \u escape`)
		}
		if utf16.IsSurrogate(r) {
			if r >= 0xdc00 || p.pos+1 >= len(p.data) || p.data[p.pos] != '\\' || p.data[p.pos+1] != 'u' {
				return nil, p.fail("lone surrogate")
			}
			p.pos += 2
			lo, ok := p.hex4()
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return nil, p.fail("lone surrogate")
			}
			r = utf16.DecodeRune(r, lo)
		}
		return utf8.AppendRune(buf, r), nil
	default:
		return nil, p.fail(fmt.Sprintf("invalid escape %q", c))
	}
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

// number parses a number with the strict JSON grammar.
func (p *parser) number() (value, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case p.pos < len(p.data) && '1' <= p.data[p.pos] && p.data[p.pos] <= '9':
		p.digits()
	default:
		return value{}, p.fail("invalid number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return value{}, p.fail("invalid number: no digits after '.'")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return value{}, p.fail("invalid number: no digits in exponent")
		}
	}
	f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
	if err != nil || math.IsInf(f, 0) { // overflow; an underflow rounds to 0 without error
		return value{}, p.fail("number out of the range of an IEEE 754 double")
	}
	return value{kind: kindNumber, num: f}, nil
}

func (p *parser) digits() int {
	start := p.pos
	for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}
