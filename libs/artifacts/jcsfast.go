package artifacts

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// isCanonical reports whether data is already the RFC 8785 form of itself,
// that is whether Canonical's full path would return data unchanged. It is
// one validating pass that builds nothing and allocates nothing: no
// whitespace, object keys strictly increasing in UTF-16 code-unit order (so no
// duplicates), strings escaped exactly as appendString escapes them, and
// numbers exactly as appendNumber writes them. It answers false whenever the
// input differs from that form or is invalid, and the caller then takes the
// full path, which canonicalizes or rejects it.
func isCanonical(data []byte) bool {
	s := scanner{data: data}
	return s.value(0) && s.pos == len(data)
}

// scanner walks a document that is expected to be canonical; every method
// returns false at the first byte that is not.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) value(depth int) bool {
	if s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		return s.string()
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

func (s *scanner) next(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// array and object count depth as parser.enter does: the outermost
// container is at depth 1.
func (s *scanner) array(depth int) bool {
	if depth > MaxDepth {
		return false
	}
	s.pos++ // '['
	if s.next(']') {
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next(']')
	}
}

func (s *scanner) object(depth int) bool {
	if depth > MaxDepth {
		return false
	}
	s.pos++ // '{'
	if s.next('}') {
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return false
		}
		start := s.pos + 1
		if !s.string() {
			return false
		}
		key := s.data[start : s.pos-1]
		if !first && compareKeys(prev, key) >= 0 {
			return false // out of order or a duplicate
		}
		prev = key
		if !s.next(':') || !s.value(depth) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// string checks a string from its opening quote: valid UTF-8, no raw control
// characters, and only the escapes appendString writes.
func (s *scanner) string() bool {
	data := s.data
	i := s.pos + 1 // after '"'
	for {
		i += plainRun(data[i:])
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '"':
			s.pos = i + 1
			return true
		case c == '\\':
			// The short escapes inline: SSE text is full of \n and \".
			if i+1 < len(data) {
				switch data[i+1] {
				case '"', '\\', 'n', 't', 'r', 'b', 'f':
					i += 2
					continue
				}
			}
			n := canonicalEscape(data[i:])
			if n == 0 {
				return false
			}
			i += n
		case c < 0x20:
			return false
		default: // a multi-byte UTF-8 sequence
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
}

// plainRun returns the length of the prefix of b made of printable ASCII
// other than '"' and '\\', the bytes a canonical string holds as they are.
// It tests eight bytes at a time (little-endian, so byte j of the word is
// b[i+j]): for a word x, (x-0x20…)&^x&0x80… flags the bytes below 0x20 and
// (q-0x01…)&^q&0x80… the zero bytes of q. A borrow can flag a byte above a
// flagged one wrongly but never one below, so the lowest flag is exact.
func plainRun(b []byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote := x ^ (ones * '"')
		slash := x ^ (ones * '\\')
		special := ((x-ones*0x20)&^x | (quote-ones)&^quote | (slash-ones)&^slash | x) & highs
		if special != 0 {
			return i + bits.TrailingZeros64(special)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
	}
	return i
}

// canonicalEscape returns the length of the escape sequence at the start of
// b (which starts with a backslash) when appendString writes it that way,
// and 0 otherwise: \" \\ \b \t \n \f \r, and \u00xx in lowercase hex for the
// other control characters.
func canonicalEscape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', 'b', 't', 'n', 'f', 'r':
		return 2
	case 'u':
		if len(b) < 6 || b[2] != '0' || b[3] != '0' || (b[4] != '0' && b[4] != '1') || !isLowerHex(b[5]) {
			return 0
		}
		switch unhex(b[4])<<4 | unhex(b[5]) {
		case '\b', '\t', '\n', '\f', '\r':
			return 0 // written as a short escape
		}
		return 6
	}
	return 0
}

// unescapeCanonical decodes the escape sequence canonicalEscape accepted at
// the start of b.
func unescapeCanonical(b []byte) (rune, int) {
	switch b[1] {
	case 'b':
		return '\b', 2
	case 't':
		return '\t', 2
	case 'n':
		return '\n', 2
	case 'f':
		return '\f', 2
	case 'r':
		return '\r', 2
	case 'u':
		return rune(unhex(b[4])<<4 | unhex(b[5])), 6
	}
	return rune(b[1]), 2 // '"' or '\\'
}

// compareKeys orders two object keys, given as the raw bytes between their
// quotes (already checked by scanner.string), as compareUTF16 orders the
// decoded keys.
func compareKeys(a, b []byte) int {
	for len(a) > 0 && len(b) > 0 {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf && ca != '\\' && cb != '\\' {
			if ca != cb {
				return int(ca) - int(cb)
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := keyRune(a)
		rb, nb := keyRune(b)
		if ra != rb {
			return compareRunesUTF16(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

func keyRune(b []byte) (rune, int) {
	switch c := b[0]; {
	case c == '\\':
		return unescapeCanonical(b)
	case c < utf8.RuneSelf:
		return rune(c), 1
	}
	return utf8.DecodeRune(b)
}

// maxIntDigits: an integer of at most 15 digits is exact in a double and
// appendNumber writes it digit for digit.
const maxIntDigits = 15

// number checks a number token: a plain integer of up to maxIntDigits digits
// other than -0 directly, anything else by formatting the parsed value again.
func (s *scanner) number() bool {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	simple := true // only an optional '-' and digits
	for ; s.pos < len(s.data); s.pos++ {
		c := s.data[s.pos]
		if '0' <= c && c <= '9' {
			continue
		}
		if c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && s.pos > start) {
			simple = false
			continue
		}
		break
	}
	tok := s.data[start:s.pos]
	digits := tok
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if simple && len(digits) > 0 && len(digits) <= maxIntDigits {
		// "0" alone; no leading zeros; "-0" is written "0".
		return digits[0] != '0' || (len(digits) == 1 && len(tok) == 1)
	}
	return canonicalNumber(tok)
}

// maxNumberLen bounds the length of a number appendNumber writes
// ("-0.0000033333333333333333" is 25 bytes); a longer token is not canonical.
const maxNumberLen = 32

// canonicalNumber reports whether tok is exactly what appendNumber writes
// for the double tok denotes. Such a token is valid JSON grammar, because
// appendNumber writes only that, and the full path parses it to the same
// double and writes the same bytes.
func canonicalNumber(tok []byte) bool {
	if len(tok) > maxNumberLen {
		return false
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	var buf [maxNumberLen]byte
	return string(appendNumber(buf[:0], f)) == string(tok)
}
