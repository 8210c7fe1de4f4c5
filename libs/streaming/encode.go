package streaming

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Fixed pieces of the SSE encoding of one frame:
//
//	id: <seq>\nevent: <event>\ndata: <json>\n\n
const (
	idPrefix    = "id: "
	eventPrefix = "\nevent: "
	dataPrefix  = "\ndata: "
	frameSuffix = "\n\n"

	// keepAlive is the SSE comment Serve writes on an idle stream.
	keepAlive = ": keep-alive\n\n"

	// eventToken is the event name of the frames AppendTokens writes.
	eventToken = "token"
)

// hexDigits are the lower-case hex digits encoding/json uses in \u escapes.
const hexDigits = "0123456789abcdef"

// appendFrameHead appends "id: <seq>\nevent: <event>\ndata: " to dst.
func appendFrameHead(dst []byte, seq uint64, event string) []byte {
	dst = append(dst, idPrefix...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, eventPrefix...)
	dst = append(dst, event...)
	return append(dst, dataPrefix...)
}

// appendTokenJSON appends {"t":<text>,"i":<index>} to dst.
func appendTokenJSON(dst []byte, text string, index int) []byte {
	dst = append(dst, `{"t":`...)
	dst = appendJSONString(dst, text)
	dst = append(dst, `,"i":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, '}')
}

// appendJSONString appends s to dst as a JSON string literal, escaped the way
// encoding/json does with HTML escaping turned off: quote and backslash,
// control characters (\b \f \n \r \t as short escapes, the rest as \u00XX),
// U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid UTF-8 as
// \ufffd. Runs of plain bytes are copied in one append.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// checkEvent reports whether event can be written on one "event:" line.
func checkEvent(event string) error {
	if event == "" {
		return fmt.Errorf("%w: empty event name", ErrInvalidFrame)
	}
	for i := 0; i < len(event); i++ {
		if c := event[i]; c == '\n' || c == '\r' {
			return fmt.Errorf("%w: event name %q contains a line break", ErrInvalidFrame, event)
		}
	}
	return nil
}

// checkData reports whether data is one line of valid JSON.
func checkData(data []byte) error {
	if bytes.ContainsAny(data, "\r\n") {
		return fmt.Errorf("%w: data contains a line break", ErrInvalidFrame)
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: data is not valid JSON", ErrInvalidFrame)
	}
	return nil
}

// decimalDigits returns the number of decimal digits of u.
func decimalDigits(u uint64) int {
	n := 1
	for u >= 10 {
		u /= 10
		n++
	}
	return n
}
