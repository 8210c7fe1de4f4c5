package streaming

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Restore rebuilds a finished log from its SSE encoding (what ReadFrom(0,
// false, nil) returned once the log was finished), so a stream that was
// archived — e.g. stored as a transcript and dropped from memory — can be
// served again with Serve. Frames must be numbered from 1 without gaps and
// the last one must be terminal ("end" or "error"). Verbose alternatives are
// not kept in the SSE encoding; a restored log serves the plain data to
// every reader.
func Restore(sse []byte, finishedAt time.Time) (*Log, error) {
	l := newLog(func() time.Time { return finishedAt })
	l.buf = make([]byte, 0, len(sse))
	rest := sse
	var lastEvent string
	for len(rest) > 0 {
		end := bytes.Index(rest, []byte("\n\n"))
		if end < 0 {
			return nil, fmt.Errorf("%w: truncated frame at byte %d", ErrInvalidFrame, len(sse)-len(rest))
		}
		block := rest[:end]
		rest = rest[end+2:]
		if len(block) > 0 && block[0] == ':' {
			continue // a comment
		}
		seq, event, data, err := parseFrame(block)
		if err != nil {
			return nil, err
		}
		if l.finished {
			return nil, fmt.Errorf("%w: frame %d after the terminal frame", ErrInvalidFrame, seq)
		}
		if seq != uint64(len(l.frames))+1 {
			return nil, fmt.Errorf("%w: frame id %d, want %d", ErrInvalidFrame, seq, len(l.frames)+1)
		}
		if err := checkEvent(event); err != nil {
			return nil, err
		}
		if err := checkData(data); err != nil {
			return nil, err
		}
		l.appendFrameLocked(event, data, nil)
		if event == eventToken {
			l.tokens++
		}
		lastEvent = event
		if event == "end" || event == "error" {
			l.finished = true
		}
	}
	if !l.finished {
		return nil, fmt.Errorf("%w: no terminal frame (last was %q)", ErrInvalidFrame, lastEvent)
	}
	l.finishedAt = finishedAt
	close(l.done)
	return l, nil
}

// parseFrame splits one encoded frame `id: N\nevent: E\ndata: D`.
func parseFrame(block []byte) (uint64, string, []byte, error) {
	var (
		seq      uint64
		event    string
		data     []byte
		haveID   bool
		haveData bool
	)
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		name, value, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			return 0, "", nil, fmt.Errorf("%w: malformed line %q", ErrInvalidFrame, line)
		}
		switch string(name) {
		case "id":
			n, err := strconv.ParseUint(string(value), 10, 64)
			if err != nil {
				return 0, "", nil, fmt.Errorf("%w: bad id %q", ErrInvalidFrame, value)
			}
			seq, haveID = n, true
		case "event":
			event = string(value)
		case "data":
			data, haveData = value, true
		default:
			return 0, "", nil, fmt.Errorf("%w: unknown field %q", ErrInvalidFrame, name)
		}
	}
	if !haveID || event == "" || !haveData {
		return 0, "", nil, fmt.Errorf("%w: a frame needs id, event and data", ErrInvalidFrame)
	}
	return seq, event, data, nil
}
