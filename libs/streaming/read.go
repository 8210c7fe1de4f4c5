package streaming

import (
	"bytes"
	"context"
	"sort"
)

// ReadFrom appends to dst the SSE encoding of every frame with Seq > after
// (the verbose alternatives when verbose is true) and returns the extended
// buffer, the Seq of the last frame appended (after when there was none) and
// whether the log is finished, in which case out ends with the terminal frame
// or the reader already had it.
func (l *Log) ReadFrom(after uint64, verbose bool, dst []byte) (out []byte, last uint64, finished bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := uint64(len(l.frames))
	if after >= n {
		return dst, after, l.finished
	}
	return l.appendRangeLocked(dst, after, verbose), n, l.finished
}

// view returns the SSE encoding of every frame with Seq > after, like
// ReadFrom, without copying when it can: then out is a sub-slice of the
// shared buffer with its capacity clipped, valid after the lock is released
// because those bytes never change. Only a verbose reader with verbose frames
// in range gets a copy, built into scratch; built reports that case, so the
// caller may reuse out as its next scratch.
func (l *Log) view(after uint64, verbose bool, scratch []byte) (out []byte, last uint64, finished, built bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := uint64(len(l.frames))
	if after >= n {
		return nil, after, l.finished, false
	}
	if verbose && l.firstVerboseAfterLocked(after) < len(l.verbose) {
		return l.appendRangeLocked(scratch[:0], after, true), n, l.finished, true
	}
	start, end := l.startLocked(after+1), len(l.buf)
	return l.buf[start:end:end], n, l.finished, false
}

// appendRangeLocked appends the frames after `after` (at least one exists),
// substituting verbose encodings when verbose is true.
func (l *Log) appendRangeLocked(dst []byte, after uint64, verbose bool) []byte {
	pos := l.startLocked(after + 1)
	if verbose {
		for _, v := range l.verbose[l.firstVerboseAfterLocked(after):] {
			dst = append(dst, l.buf[pos:l.startLocked(v.seq)]...)
			dst = append(dst, l.vbuf[v.start:v.end]...)
			pos = l.frames[v.seq-1]
		}
	}
	return append(dst, l.buf[pos:]...)
}

// startLocked returns the offset of frame seq in buf (1 ≤ seq ≤ len+1).
func (l *Log) startLocked(seq uint64) int {
	if seq <= 1 {
		return 0
	}
	return l.frames[seq-2]
}

// firstVerboseAfterLocked returns the index in l.verbose of the first
// verbose frame with Seq > after (len(l.verbose) when none).
func (l *Log) firstVerboseAfterLocked(after uint64) int {
	return sort.Search(len(l.verbose), func(i int) bool { return l.verbose[i].seq > after })
}

// Frames returns a copy of every frame with Seq > after, with the
// non-verbose data.
func (l *Log) Frames(after uint64) []Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := uint64(len(l.frames))
	if after >= n {
		return nil
	}
	data := make([]byte, 0, l.frames[n-1]-l.startLocked(after+1))
	out := make([]Frame, 0, n-after)
	for seq := after + 1; seq <= n; seq++ {
		event, body := l.splitLocked(seq)
		start := len(data)
		data = append(data, body...)
		out = append(out, Frame{Seq: seq, Event: eventName(event), Data: data[start:len(data):len(data)]})
	}
	return out
}

// splitLocked returns the event name and the data of frame seq, sub-slices
// of buf: the frame is "id: <seq>\nevent: <event>\ndata: <data>\n\n", and
// an event name has no line break.
func (l *Log) splitLocked(seq uint64) (event, data []byte) {
	frame := l.buf[l.startLocked(seq)+len(idPrefix)+decimalDigits(seq)+len(eventPrefix) : l.frames[seq-1]-len(frameSuffix)]
	n := bytes.IndexByte(frame, '\n')
	return frame[:n], frame[n+len(dataPrefix):]
}

// eventName returns event as a string without allocating for the names
// of api.md §3.
func eventName(event []byte) string {
	switch string(event) {
	case eventToken:
		return eventToken
	case "metrics":
		return "metrics"
	case "started":
		return "started"
	case "end":
		return "end"
	case "error":
		return "error"
	default:
		return string(event)
	}
}

// Wait returns nil once LastSeq() > after or the log is finished, and
// ctx.Err() when ctx is done first.
func (l *Log) Wait(ctx context.Context, after uint64) error {
	if l.ready(after) {
		return nil
	}
	ch := make(chan struct{}, 1)
	l.subscribe(ch)
	defer l.unsubscribe(ch)
	for {
		if l.ready(after) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ready reports whether a frame after `after` exists or the log is finished.
func (l *Log) ready(after uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.frames)) > after || l.finished
}
