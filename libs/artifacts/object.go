package artifacts

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Object writes a JSON object of string members in canonical form (RFC
// 8785), for callers that build a document the store would otherwise scan
// again to check that it is canonical: the daemon's transcripts, whose
// escaped event streams make that scan a third of what storing them costs.
//
// Members must be added in canonical key order (UTF-16 code units, as JCS
// sorts them); the writer checks the order and escapes keys and values
// itself, so what Artifact returns is canonical by construction. The store
// trusts that only while the Artifact's Content is the slice Artifact
// returned: assigning other bytes to Content brings back the full check.
// Changing the returned bytes in place is a misuse the store cannot see.
//
// The zero value is an empty object writing into a new buffer.
type Object struct {
	buf     []byte
	lastKey string
	members int
	err     error
}

// errKeyOrder: a member was added out of canonical key order.
var errKeyOrder = errors.New("key out of canonical order")

// Reset starts a new object in dst[:0], reusing its capacity.
func (o *Object) Reset(dst []byte) {
	*o = Object{buf: dst[:0]}
}

// String adds the member key: value.
func (o *Object) String(key, value string) {
	if o.member(key) {
		o.buf = AppendString(o.buf, value)
	}
}

// Text adds the member key: value for text held in a byte slice, without
// copying it into a string.
func (o *Object) Text(key string, value []byte) {
	if o.member(key) {
		o.buf = AppendBytes(o.buf, value)
	}
}

// member writes the separator and key of the next member, or records the
// first misuse and reports false.
func (o *Object) member(key string) bool {
	if o.err != nil {
		return false
	}
	if !utf8.ValidString(key) {
		key = strings.ToValidUTF8(key, "\uFFFD") // as AppendString writes it
	}
	if o.members > 0 && compareUTF16(o.lastKey, key) >= 0 {
		o.err = fmt.Errorf("%w: %w: %q after %q", ErrInvalid, errKeyOrder, key, o.lastKey)
		return false
	}
	if o.members == 0 {
		o.buf = append(o.buf, '{')
	} else {
		o.buf = append(o.buf, ',')
	}
	o.buf = AppendString(o.buf, key)
	o.buf = append(o.buf, ':')
	o.lastKey = key
	o.members++
	return true
}

// Bytes closes the object and returns its canonical encoding, or the first
// misuse (a key out of order, ErrInvalid).
func (o *Object) Bytes() ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}
	if o.members == 0 {
		return append(o.buf, '{', '}'), nil
	}
	return append(o.buf, '}'), nil
}

// Artifact closes the object and returns an artifact of kind with it as
// Content, marked canonical so that storing it skips the canonical check.
// The caller fills in the other fields.
func (o *Object) Artifact(kind string) (Artifact, error) {
	b, err := o.Bytes()
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Kind: kind, Content: b, built: b}, nil
}

// builtCanonical reports whether a's Content is still the slice an Object
// wrote (same first byte, same length), which is canonical by construction.
func (a *Artifact) builtCanonical() bool {
	return len(a.built) > 0 && len(a.built) == len(a.Content) &&
		unsafe.SliceData(a.built) == unsafe.SliceData(a.Content)
}
