package sse

import "bytes"

// Field is the kind of an SSE line.
type Field uint8

// Line kinds. Comment lines and blank lines carry no value.
const (
	Blank   Field = iota // the end of an event
	Comment              // ": ..." (keep-alive pings)
	Data                 // "data: ..." or a bare JSON object line
	Event                // "event: ..."
	Error                // "error: ..." (the event llama.cpp used for errors before it moved them into data)
	Other                // "id:", "retry:" and unknown fields
)

// Split classifies one line (without its line terminator) and returns its
// value with the one optional space after the colon removed. A line that
// starts with '{' is reported as Data holding the whole line: an engine that
// answered with plain JSON instead of an event stream.
func Split(line []byte) (Field, []byte) {
	if len(line) == 0 {
		return Blank, nil
	}
	switch line[0] {
	case ':':
		return Comment, nil
	case '{':
		return Data, line
	case 'd':
		if value, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			return Data, trimSpace1(value)
		}
	}
	name, value, found := bytes.Cut(line, []byte{':'})
	if found {
		value = trimSpace1(value)
	}
	switch string(name) {
	case "data":
		return Data, value
	case "event":
		return Event, value
	case "error":
		return Error, value
	default:
		return Other, value
	}
}

// trimSpace1 removes the one optional space that starts a field value.
func trimSpace1(value []byte) []byte {
	if len(value) > 0 && value[0] == ' ' {
		return value[1:]
	}
	return value
}

// IsDone reports whether a data value is the OpenAI end marker "[DONE]".
func IsDone(value []byte) bool {
	return string(bytes.TrimSpace(value)) == "[DONE]"
}
