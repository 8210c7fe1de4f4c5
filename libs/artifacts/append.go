package artifacts

import (
	"bytes"
	"math"
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

// AppendBytes is AppendString for text held in a byte slice, without
// copying it into a string first.
func AppendBytes(dst, b []byte) []byte {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return appendString(dst, b)
}

// AppendCanonicalNumber appends f to dst as a canonical (RFC 8785) JSON
// number, the way ECMAScript's Number.prototype.toString writes it (1e21 →
// 1e+21, -0 → 0, 4.50 → 4.5). NaN and ±Inf, which JSON cannot represent, are
// written as null, as JSON.stringify does.
func AppendCanonicalNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return appendNumber(dst, f)
}
