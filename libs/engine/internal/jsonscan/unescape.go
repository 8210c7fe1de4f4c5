package jsonscan

import (
	"unicode/utf16"
	"unicode/utf8"
)

// replacement is U+FFFD in UTF-8, written for invalid input as encoding/json does.
const replacement = "\uFFFD"

// NeedsDecode reports whether the raw contents of a JSON string (the bytes
// between its quotes) differ from the decoded string or may be invalid: it
// has an escape, a control character or a non-ASCII byte. When it returns
// false, string(raw) is the decoded value.
func NeedsDecode(raw []byte) bool {
	for _, c := range raw {
		if c < 0x20 || c == '\\' || c == '"' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// Unescape appends the decoded value of the raw contents of a JSON string
// (the bytes between its quotes) to dst. It follows encoding/json: the escapes
// \" \\ \/ \b \f \n \r \t and \uXXXX, surrogate pairs joined, a lone surrogate
// and invalid UTF-8 replaced by U+FFFD. ok is false where encoding/json
// rejects the string: an unknown or cut escape, a raw quote or control byte;
// dst is then returned as it was.
func Unescape(dst, raw []byte) (out []byte, ok bool) {
	n := len(dst)
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return dst[:n], false
			}
			switch raw[i+1] {
			case '"', '\\', '/':
				dst = append(dst, raw[i+1])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(raw[i+2:])
				if r < 0 {
					return dst[:n], false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2 := escapedRune(raw[i:]); r2 >= 0 {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							dst = utf8.AppendRune(dst, pair)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				return dst[:n], false
			}
			i += 2
		case c == '"' || c < 0x20:
			return dst[:n], false
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, replacement...)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
		}
	}
	return dst, true
}

// escapedRune decodes a leading \uXXXX escape, or returns -1.
func escapedRune(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	return hex4(b[2:])
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
