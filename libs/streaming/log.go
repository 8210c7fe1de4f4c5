package streaming

import (
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by every Append method and by Finish once the log
// has its terminal frame.
var ErrClosed = errors.New("streaming: log finished")

// ErrExists is returned by Hub.Create for an id that already has a live log.
var ErrExists = errors.New("streaming: log exists")

// ErrInvalidFrame is returned (wrapped) for a frame that cannot be written as
// one SSE event: an empty event name, a line break in the event name or the
// data, or data that is not valid JSON.
var ErrInvalidFrame = errors.New("streaming: invalid frame")

// Frame is one event of a log as structured data.
type Frame struct {
	Seq   uint64          // 1 for the first frame of a log, then +1 per frame
	Event string          // the SSE event name: started, metrics, token, end, error, …
	Data  json.RawMessage // the frame's JSON data (the non-verbose form)
}

// verboseRec locates the verbose encoding of frame seq in Log.vbuf.
type verboseRec struct {
	seq        uint64
	start, end int
}

// Log is the append-only event log of one task: numbered frames, each
// encoded once, at append, as SSE into a shared byte buffer that readers
// write from without copying. Bytes below the buffer's length are never
// modified, so a reader may write a sub-slice after releasing the lock.
//
// A Log is safe for concurrent use by one or more writers and any number of
// readers. Create it with NewLog (or Hub.Create).
type Log struct {
	now func() time.Time
	// hub, when set (by Hub.Create, before the log is shared), is told
	// after Finish has released the lock that the log of id finished.
	hub *Hub
	id  string

	mu         sync.Mutex
	buf        []byte       // SSE encoding of every frame, in order
	frames     []int        // frames[seq-1] is where frame seq ends in buf (the next one starts)
	vbuf       []byte       // SSE encoding of the verbose alternatives
	verbose    []verboseRec // sorted by seq
	tokens     int
	finished   bool
	finishedAt time.Time
	subs       []chan struct{} // readers to wake, each with capacity 1
	done       chan struct{}   // made by the first Done, closed by Finish
}

// NewLog returns an empty, open log. It holds no buffer until the first
// append, which takes just the room of its frame: a task's log holds only
// its started frame while queued, and is sized by Grow when it starts.
func NewLog() *Log { return newLog(time.Now) }

func newLog(now func() time.Time) *Log {
	return &Log{now: now}
}

// Append appends a non-terminal frame and returns its sequence number. data
// must be one line of JSON (normally an object); anything else is rejected
// with ErrInvalidFrame. It returns ErrClosed after Finish.
func (l *Log) Append(event string, data []byte) (uint64, error) {
	return l.AppendVerbose(event, data, nil)
}

// AppendVerbose is Append with an alternative encoding of the data for
// verbose readers (Serve with WithVerbose(true), ReadFrom with verbose):
// they get verbose instead of data. An empty verbose makes it Append.
func (l *Log) AppendVerbose(event string, data, verbose []byte) (uint64, error) {
	if err := checkEvent(event); err != nil {
		return 0, err
	}
	if err := checkData(data); err != nil {
		return 0, err
	}
	if len(verbose) > 0 {
		if err := checkData(verbose); err != nil {
			return 0, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return 0, ErrClosed
	}
	seq := l.appendFrameLocked(event, data, verbose)
	l.wakeLocked()
	return seq, nil
}

// AppendTokens appends one "token" frame per text, with data
// {"t":<text>,"i":<index>} where the index counts token frames from 0, and
// wakes waiting readers once for the whole batch. It returns the sequence
// number of the last frame (LastSeq when texts is empty), or ErrClosed after
// Finish. Text that is not valid UTF-8 is encoded with U+FFFD.
func (l *Log) AppendTokens(texts []string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return 0, ErrClosed
	}
	if len(texts) == 0 {
		return uint64(len(l.frames)), nil
	}
	// Room for the batch unless escaping expands the text.
	lastSeq, lastIndex := uint64(len(l.frames)+len(texts)), uint64(l.tokens+len(texts))
	need := len(texts) * (tokenFrameOverhead + decimalDigits(lastSeq) + decimalDigits(lastIndex))
	for _, text := range texts {
		need += len(text)
	}
	buf := reserve(l.buf, need)
	l.frames = reserve(l.frames, len(texts))
	seq := uint64(len(l.frames))
	for _, text := range texts {
		seq++
		buf = appendFrameHead(buf, seq, eventToken)
		buf = appendTokenJSON(buf, text, l.tokens)
		buf = append(buf, frameSuffix...)
		l.frames = append(l.frames, len(buf))
		l.tokens++
	}
	l.buf = buf
	l.wakeLocked()
	return seq, nil
}

// Finish appends the terminal frame. fn runs under the log's lock with the
// number of token frames appended so far and returns the frame's event and
// data, so no token frame can be appended between counting and finishing.
// fn must not call methods of the log. Afterwards every Append method and a
// second Finish return ErrClosed, Done is closed and waiting readers wake.
// Invalid event or data from fn is rejected with ErrInvalidFrame and leaves
// the log open.
func (l *Log) Finish(fn func(tokens int) (event string, data []byte)) (uint64, error) {
	seq, at, err := l.finish(fn)
	if err == nil && l.hub != nil {
		l.hub.finishedAt(l.id, l, at)
	}
	return seq, err
}

func (l *Log) finish(fn func(tokens int) (string, []byte)) (uint64, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return 0, time.Time{}, ErrClosed
	}
	event, data := fn(l.tokens)
	if err := checkEvent(event); err != nil {
		return 0, time.Time{}, err
	}
	if err := checkData(data); err != nil {
		return 0, time.Time{}, err
	}
	seq := l.appendFrameLocked(event, data, nil)
	l.finished = true
	l.finishedAt = l.now()
	l.trimLocked()
	if l.done != nil {
		close(l.done)
	}
	l.wakeLocked()
	return seq, l.finishedAt, nil
}

// appendFrameLocked encodes one frame (and its verbose alternative) and
// returns its sequence number.
func (l *Log) appendFrameLocked(event string, data, verbose []byte) uint64 {
	seq := uint64(len(l.frames)) + 1
	buf := reserve(l.buf, frameOverhead+decimalDigits(seq)+len(event)+len(data))
	l.frames = reserve(l.frames, 1)
	buf = appendFrameHead(buf, seq, event)
	buf = append(buf, data...)
	buf = append(buf, frameSuffix...)
	l.buf = buf
	l.frames = append(l.frames, len(buf))
	if len(verbose) > 0 {
		l.appendVerboseLocked(seq, event, verbose)
	}
	return seq
}

// appendVerboseLocked encodes the verbose alternative of frame seq, which
// is the last frame that has one.
func (l *Log) appendVerboseLocked(seq uint64, event string, verbose []byte) {
	start := len(l.vbuf)
	l.vbuf = reserve(l.vbuf, frameOverhead+decimalDigits(seq)+len(event)+len(verbose))
	l.verbose = reserve(l.verbose, 1)
	l.vbuf = appendFrameHead(l.vbuf, seq, event)
	l.vbuf = append(l.vbuf, verbose...)
	l.vbuf = append(l.vbuf, frameSuffix...)
	l.verbose = append(l.verbose, verboseRec{seq: seq, start: start, end: len(l.vbuf)})
}

// The fixed bytes of a frame and of a token frame (without the digits of
// the id and the index), to grow the buffer once per append.
const (
	frameOverhead      = len(idPrefix) + len(eventPrefix) + len(dataPrefix) + len(frameSuffix)
	tokenFrameOverhead = frameOverhead + len(eventToken) + len(`{"t":"","i":}`)
)

// reserve returns s with room for n more elements, at least doubling the
// capacity when it grows (append grows large slices by 1.25×, which copies
// a long log several times over). The new capacity is rounded up to the
// allocator's size class, which would be allocated anyway.
func reserve[S ~[]E, E any](s S, n int) S {
	if cap(s)-len(s) >= n {
		return s
	}
	want := max(2*cap(s), len(s)+n)
	return append(s[:len(s):len(s)], make(S, want-len(s))...)[:len(s)]
}

// Grow makes room for about n more bytes of frames and frames more frames,
// so that a stream whose length is known roughly (from its max_tokens) is
// not copied again and again as it grows. It is only a hint: appends grow
// the log as needed either way, and Finish gives back what was not used.
func (l *Log) Grow(n, frames int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished {
		return
	}
	l.buf = reserve(l.buf, n)
	l.frames = reserve(l.frames, frames)
}

// SSE returns the SSE encoding of every frame, as a non-verbose reader from
// the start gets it, without copying: the slice shares the log's buffer,
// whose bytes never change, so it stays valid; the caller must not modify
// it.
func (l *Log) SSE() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf[:len(l.buf):len(l.buf)]
}

// VerboseSSE returns the SSE encoding of the verbose alternatives alone
// (those appended with AppendVerbose), in frame order, without copying:
// with SSE, what RestoreVerbose needs to serve verbose readers again. The
// caller must not modify it.
func (l *Log) VerboseSSE() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.vbuf[:len(l.vbuf):len(l.vbuf)]
}

// trimSlack is the spare capacity a finished log keeps without a copy: a
// copy to give back less costs more than it saves (a stream sized by Grow
// ends with about that much room left).
const trimSlack = 4 << 10

// trimLocked releases the spare capacity of a finished log, which is kept
// for the retention period, when it is worth a copy: more than a quarter of
// the log and more than trimSlack. Readers still holding sub-slices of the
// old buffer keep it alive; its bytes are equal to the new one's.
func (l *Log) trimLocked() {
	if spare := cap(l.buf) - len(l.buf); spare > len(l.buf)/4 && spare > trimSlack {
		l.buf = append(make([]byte, 0, len(l.buf)), l.buf...)
	}
	const frameSize = 8 // bytes of a frame's end offset
	if spare := cap(l.frames) - len(l.frames); spare > len(l.frames)/4 && spare*frameSize > trimSlack {
		l.frames = append(make([]int, 0, len(l.frames)), l.frames...)
	}
}

// wakeLocked signals every subscribed reader without blocking; a reader
// whose channel already holds a signal has not looked yet and will see the
// new frames too.
func (l *Log) wakeLocked() {
	for _, ch := range l.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// subscribe registers ch (capacity 1) to be signalled on every append.
func (l *Log) subscribe(ch chan struct{}) {
	l.mu.Lock()
	l.subs = append(l.subs, ch)
	l.mu.Unlock()
}

// unsubscribe removes ch registered by subscribe.
func (l *Log) unsubscribe(ch chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range l.subs {
		if c == ch {
			last := len(l.subs) - 1
			l.subs[i] = l.subs[last]
			l.subs[last] = nil
			l.subs = l.subs[:last]
			return
		}
	}
}

// Tokens returns the number of token frames appended so far.
func (l *Log) Tokens() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tokens
}

// LastSeq returns the sequence number of the last frame (0 when empty).
func (l *Log) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.frames))
}

// Finished reports whether the terminal frame has been appended.
func (l *Log) Finished() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.finished
}

// Done returns a channel that is closed by Finish.
func (l *Log) Done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == nil {
		l.done = make(chan struct{})
		if l.finished {
			close(l.done)
		}
	}
	return l.done
}

// FinishedAt returns when Finish appended the terminal frame (the zero time
// while the log is open). A log from a Hub uses the hub's clock.
func (l *Log) FinishedAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.finishedAt
}
