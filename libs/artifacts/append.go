package artifacts

import (
	"strings"
	"unicode/utf8"
)

// AppendString appends s to dst as a canonical (RFC 8785) JSON string, for
// callers that build documents already in canonical form. Invalid UTF-8 is
// replaced with U+FFFD.
func AppendString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return appendString(dst, s)
}
