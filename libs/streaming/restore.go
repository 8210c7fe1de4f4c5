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
// not kept in the SSE encoding; a log restored by Restore serves the plain
// data to every reader (see RestoreVerbose).
//
// When sse is exactly the encoding the log makes (what SSE returned), the
// log keeps sse as its buffer instead of a copy: the caller must not modify
// sse afterwards.
func Restore(sse []byte, finishedAt time.Time) (*Log, error) {
	return RestoreVerbose(sse, nil, finishedAt)
}

// RestoreVerbose is Restore with the verbose alternatives too: verboseSSE
// is what VerboseSSE returned, frames that each name a frame of sse (same id
// and event) in increasing order. Like Restore, it may keep sse.
func RestoreVerbose(sse, verboseSSE []byte, finishedAt time.Time) (*Log, error) {
	l := newLog(func() time.Time { return finishedAt })
	if err := l.restorePlain(sse); err != nil {
		return nil, err
	}
	if err := l.restoreVerbose(verboseSSE); err != nil {
		return nil, err
	}
	l.finishedAt = finishedAt
	return l, nil
}

// restorePlain appends the frames encoded in sse to the empty log l and
// finishes it. As long as every frame is encoded exactly as the log encodes
// it, l's buffer is sse itself; from the first frame that is not (a comment,
// fields in another order), the frames are encoded again into a copy.
func (l *Log) restorePlain(sse []byte) error {
	l.frames = make([]int, 0, bytes.Count(sse, []byte(frameSuffix)))
	same := true // l.buf is sse[:pos]
	var head [64]byte
	var lastEvent string
	pos := 0
	for pos < len(sse) {
		end := bytes.Index(sse[pos:], []byte(frameSuffix))
		if end < 0 {
			return fmt.Errorf("%w: truncated frame at byte %d", ErrInvalidFrame, pos)
		}
		block := sse[pos : pos+end]
		next := pos + end + len(frameSuffix)
		if len(block) > 0 && block[0] == ':' {
			same = l.diverge(sse, pos, same)
			pos = next
			continue // a comment
		}
		seq, event, data, err := parseFrame(block)
		if err != nil {
			return err
		}
		if l.finished {
			return fmt.Errorf("%w: frame %d after the terminal frame", ErrInvalidFrame, seq)
		}
		if seq != uint64(len(l.frames))+1 {
			return fmt.Errorf("%w: frame id %d, want %d", ErrInvalidFrame, seq, len(l.frames)+1)
		}
		if err := checkEvent(event); err != nil {
			return err
		}
		if err := checkData(data); err != nil {
			return err
		}
		want := appendFrameHead(head[:0], seq, event)
		if same && len(block) == len(want)+len(data) && bytes.HasPrefix(block, want) {
			l.frames = append(l.frames, next)
		} else {
			same = l.diverge(sse, pos, same)
			l.appendFrameLocked(event, data, nil)
		}
		if event == eventToken {
			l.tokens++
		}
		lastEvent = event
		if event == "end" || event == "error" {
			l.finished = true
		}
		pos = next
	}
	if !l.finished {
		return fmt.Errorf("%w: no terminal frame (last was %q)", ErrInvalidFrame, lastEvent)
	}
	if same {
		l.buf = sse[:len(sse):len(sse)]
	}
	return nil
}

// diverge starts l's own buffer, a copy of the frames of sse before pos,
// when l.buf is still sse (same); it returns false, the new state.
func (l *Log) diverge(sse []byte, pos int, same bool) bool {
	if same {
		l.buf = append(make([]byte, 0, len(sse)), sse[:pos]...)
	}
	return false
}

// restoreVerbose attaches the verbose alternatives encoded in vsse to the
// frames of the restored log l.
func (l *Log) restoreVerbose(vsse []byte) error {
	var last uint64
	for rest := vsse; len(rest) > 0; {
		end := bytes.Index(rest, []byte("\n\n"))
		if end < 0 {
			return fmt.Errorf("%w: truncated verbose frame", ErrInvalidFrame)
		}
		block := rest[:end]
		rest = rest[end+2:]
		seq, event, data, err := parseFrame(block)
		if err != nil {
			return err
		}
		if seq <= last || seq > uint64(len(l.frames)) {
			return fmt.Errorf("%w: verbose frame %d out of order or of no frame", ErrInvalidFrame, seq)
		}
		last = seq
		if plainEvent, _ := l.splitLocked(seq); string(plainEvent) != event {
			return fmt.Errorf("%w: verbose frame %d is %q, the frame is %q", ErrInvalidFrame, seq, event, plainEvent)
		}
		if err := checkData(data); err != nil {
			return err
		}
		l.appendVerboseLocked(seq, event, data)
	}
	return nil
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
			event = eventName(value)
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
