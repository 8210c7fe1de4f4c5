package streaming

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/orchestratord/orchestratord/contracts/wire"
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
	dst = wire.AppendString(dst, text)
	dst = append(dst, `,"i":`...)
	dst = strconv.AppendInt(dst, int64(index), 10)
	return append(dst, '}')
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
