package simengine

import (
	"math"
	"strconv"
)

// appendJSONString appends s as a JSON string the way both simulated servers
// write it: nlohmann::json dump() and Python json / pydantic with
// ensure_ascii=False agree on this — '"' and '\\' escaped, \b \f \n \r \t by
// name, other control characters as \u00xx (lower-case hex), everything else
// (including '/', '<', '>', '&' and non-ASCII UTF-8) raw.
func appendJSONString[T ~string | ~[]byte](b []byte, s T) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCppDouble appends f as nlohmann::json dumps a double: the shortest
// round-trip digits, fixed notation for decimal exponents in (-4, 15] with a
// ".0" on integral values, otherwise d.ddde±XX; non-finite values are null.
func appendCppDouble(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	if e[0] == '-' {
		b = append(b, '-')
		e = e[1:]
	}
	ePos := 0
	for ePos < len(e) && e[ePos] != 'e' {
		ePos++
	}
	var digits [24]byte
	k := 0
	for _, c := range e[:ePos] {
		if c != '.' {
			digits[k] = c
			k++
		}
	}
	exp, _ := strconv.Atoi(string(e[ePos+1:]))
	n := exp + 1 // position of the decimal point relative to the digits
	const minExp, maxExp = -4, 15
	switch {
	case k <= n && n <= maxExp:
		b = append(b, digits[:k]...)
		for range n - k {
			b = append(b, '0')
		}
		return append(b, '.', '0')
	case 0 < n && n <= maxExp:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		return append(b, digits[n:k]...)
	case minExp < n && n <= 0:
		b = append(b, '0', '.')
		for range -n {
			b = append(b, '0')
		}
		return append(b, digits[:k]...)
	}
	b = append(b, digits[0])
	if k > 1 {
		b = append(b, '.')
		b = append(b, digits[1:k]...)
	}
	b = append(b, 'e')
	x := n - 1
	if x < 0 {
		b = append(b, '-')
		x = -x
	} else {
		b = append(b, '+')
	}
	if x < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(x), 10)
}

// jsonWriter builds ordered JSON for the responses that are not on the token
// path (final frames, /props, /slots, non-streaming bodies).
type jsonWriter struct {
	b      []byte
	stack  []jsonLevel
	inside bool // a key was written and waits for its value
}

type jsonLevel struct {
	closer  byte
	hasElem bool
}

func (j *jsonWriter) pre() {
	if j.inside {
		j.inside = false
		return
	}
	if n := len(j.stack); n > 0 {
		if j.stack[n-1].hasElem {
			j.b = append(j.b, ',')
		}
		j.stack[n-1].hasElem = true
	}
}

func (j *jsonWriter) key(k string) *jsonWriter {
	j.pre()
	j.b = appendJSONString(j.b, k)
	j.b = append(j.b, ':')
	j.inside = true
	return j
}

func (j *jsonWriter) obj() *jsonWriter { return j.open('{', '}') }
func (j *jsonWriter) arr() *jsonWriter { return j.open('[', ']') }

func (j *jsonWriter) open(opener, closer byte) *jsonWriter {
	j.pre()
	j.b = append(j.b, opener)
	j.stack = append(j.stack, jsonLevel{closer: closer})
	return j
}

func (j *jsonWriter) end() *jsonWriter {
	n := len(j.stack) - 1
	j.b = append(j.b, j.stack[n].closer)
	j.stack = j.stack[:n]
	return j
}

func (j *jsonWriter) str(s string) *jsonWriter {
	j.pre()
	j.b = appendJSONString(j.b, s)
	return j
}

func (j *jsonWriter) num(n int64) *jsonWriter {
	j.pre()
	j.b = strconv.AppendInt(j.b, n, 10)
	return j
}

func (j *jsonWriter) dbl(f float64) *jsonWriter {
	j.pre()
	j.b = appendCppDouble(j.b, f)
	return j
}

func (j *jsonWriter) boolean(v bool) *jsonWriter {
	j.pre()
	j.b = strconv.AppendBool(j.b, v)
	return j
}

func (j *jsonWriter) null() *jsonWriter { return j.raw("null") }

// raw appends a pre-encoded JSON value.
func (j *jsonWriter) raw(v string) *jsonWriter {
	j.pre()
	j.b = append(j.b, v...)
	return j
}

func (j *jsonWriter) strs(ss []string) *jsonWriter {
	j.arr()
	for _, s := range ss {
		j.str(s)
	}
	return j.end()
}
