package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// Byte masks for scanning eight bytes of a string at a time (SWAR): each
// byte of ones is 0x01, of highs 0x80.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialBytes marks, in the high bit of each byte, the bytes of x (eight
// string bytes, the first in the low byte) that end the plain part of a JSON
// string: a quote or a backslash, and when plain also a control byte or a
// non-ASCII byte. A byte above a marked one may be marked wrongly (borrows
// carry upwards), so only the lowest mark is exact.
func specialBytes(x uint64, plain bool) uint64 {
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	m := (q - ones) &^ q
	m |= (b - ones) &^ b
	if plain {
		m |= (x-ones*0x20)&^x | x
	}
	return m & highs
}

// stringEnd finds the quote that closes the string whose contents start at
// buf[i]. plain reports that the contents hold no escape, control byte or
// non-ASCII byte, so that they are their own decoded value. end is -1 when
// the string is not closed.
func stringEnd(buf []byte, i int) (end int, plain bool) {
	plain = true
	for {
		for len(buf)-i >= 8 {
			if m := specialBytes(binary.LittleEndian.Uint64(buf[i:]), plain); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(buf) {
			return -1, false
		}
		switch ch := buf[i]; {
		case ch == '"':
			return i, plain
		case ch == '\\':
			plain = false
			i += 2
		case ch < 0x20 || ch >= 0x80:
			plain = false
			i++
		default:
			i++
		}
	}
}
