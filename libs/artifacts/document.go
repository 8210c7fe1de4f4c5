package artifacts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// Limits on a stored document.
const (
	// DefaultMaxBytes bounds the encoded size of a stored document (its JSON
	// file); the same as the API's body limit for artifacts.
	DefaultMaxBytes = 8 << 20
	MaxTags         = 64  // tags per artifact
	MaxTagLen       = 256 // bytes per tag
)

// DefaultLockTimeout is how long NewBoltStore waits for the lock on its file.
const DefaultLockTimeout = time.Second

// Option configures a MemStore, a FileStore or a BoltStore.
type Option func(*options)

type options struct {
	now         func() time.Time
	maxBytes    int
	lockTimeout time.Duration
	// mergeAt is how many pending ids a BoltStore holds before it merges
	// them into its index (boltMergeEntries; tests set it lower).
	mergeAt int
	// mergeLeaves bounds the leaves of "ids" one merge rewrites
	// (boltMergeLeaves; tests set it lower).
	mergeLeaves int
}

// WithClock sets the clock that stamps CreatedMs; nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithMaxBytes bounds the encoded size of a stored document (n <= 0 keeps
// DefaultMaxBytes). Content and metadata count in canonical form.
func WithMaxBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBytes = n
		}
	}
}

// WithLockTimeout bounds how long NewBoltStore waits for another process to
// release the store's file lock (d <= 0 keeps DefaultLockTimeout). Other
// stores ignore it.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.lockTimeout = d
		}
	}
}

func newOptions(opts []Option) options {
	o := options{now: time.Now, maxBytes: DefaultMaxBytes, lockTimeout: DefaultLockTimeout, mergeAt: boltMergeEntries, mergeLeaves: boltMergeLeaves}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// prepare validates a and returns the document to store, with ID, Digest,
// CreatedMs, canonical Content and Metadata filled in, and its encoding.
// The document shares no memory with a.
func (o *options) prepare(a Artifact) (Artifact, []byte, error) {
	doc, data, at, err := o.prepareInto(nil, a)
	if err != nil {
		return Artifact{}, nil, err
	}
	// The document's content and metadata become their copies inside data.
	n := len(doc.Content)
	doc.Content = data[at.content : at.content+n : at.content+n]
	if doc.Metadata != nil {
		n = len(doc.Metadata)
		doc.Metadata = data[at.meta : at.meta+n : at.meta+n]
	}
	return doc, data, nil
}

// docOffsets says where in an encoded document its metadata and content
// start.
type docOffsets struct{ meta, content int }

// prepareInto is prepare encoding into dst[:0]; the document's Content and
// Metadata are the canonical views of a's, which alias a's when those were
// canonical already.
func (o *options) prepareInto(dst []byte, a Artifact) (Artifact, []byte, docOffsets, error) {
	if !ValidKind(a.Kind) {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: kind %q is not one of plan, summary, diff, trace, transcript, logs, other", ErrInvalid, a.Kind)
	}
	if len(bytes.TrimSpace(a.Content)) == 0 {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: content required", ErrInvalid)
	}
	content := []byte(a.Content) // canonical by construction when built
	var err error
	if !a.builtCanonical() {
		if content, err = canonicalView(a.Content); err != nil { // may alias a.Content until encoded
			return Artifact{}, nil, docOffsets{}, fmt.Errorf("content: %w", err)
		}
	}
	if string(content) == "null" {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: content required", ErrInvalid)
	}
	id := idOfCanonical(a.Kind, content)
	if a.ID != "" && a.ID != id {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: id %q does not match the content (want %s)", ErrInvalid, a.ID, id)
	}
	if a.Digest != "" && a.Digest != DigestPrefix+id {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: digest %q does not match the content (want %s%s)", ErrInvalid, a.Digest, DigestPrefix, id)
	}
	if a.Parent != "" && !ValidID(a.Parent) {
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: parent must be an artifact id (64 lowercase hex characters)", ErrInvalid)
	}
	if err := validTags(a.Tags); err != nil {
		return Artifact{}, nil, docOffsets{}, err
	}
	var meta json.RawMessage
	if m := bytes.TrimSpace(a.Metadata); len(m) > 0 && string(m) != "null" {
		if meta, err = canonicalView(m); err != nil {
			return Artifact{}, nil, docOffsets{}, fmt.Errorf("metadata: %w", err)
		}
		if meta[0] != '{' {
			return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: metadata must be a JSON object", ErrInvalid)
		}
	}
	switch {
	case a.CreatedMs < 0:
		return Artifact{}, nil, docOffsets{}, fmt.Errorf("%w: created_ms must be >= 0", ErrInvalid)
	case a.CreatedMs == 0:
		a.CreatedMs = o.now().UnixMilli()
	}
	doc := Artifact{
		ID:        id,
		Kind:      a.Kind,
		Digest:    DigestPrefix + id,
		CreatedMs: a.CreatedMs,
		Tags:      append(make([]string, 0, len(a.Tags)), a.Tags...),
		Parent:    a.Parent,
		Metadata:  meta,
		Content:   content,
	}
	data, metaAt, contentAt := appendDocument(dst[:0], doc)
	if len(data) > o.maxBytes {
		return Artifact{}, data, docOffsets{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), o.maxBytes)
	}
	return doc, data, docOffsets{meta: metaAt, content: contentAt}, nil
}

func validTags(tags []string) error {
	if len(tags) > MaxTags {
		return fmt.Errorf("%w: at most %d tags", ErrInvalid, MaxTags)
	}
	for i, t := range tags {
		if t == "" || len(t) > MaxTagLen || !utf8.ValidString(t) || hasControl(t) {
			return fmt.Errorf("%w: tags[%d] must be 1-%d bytes of printable UTF-8", ErrInvalid, i, MaxTagLen)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// appendDocument appends the encoding of doc to b, one line of JSON byte for
// byte what json.Encoder with HTML escaping off writes for it (fields in
// struct order, a trailing newline), without reflection and without
// re-scanning Content and Metadata, which are canonical already and are
// copied as they are. It reports where in it Metadata (when not empty) and
// Content start.
func appendDocument(b []byte, doc Artifact) (data []byte, metaAt, contentAt int) {
	n := len(`{"id":"","kind":"","digest":"","created_ms":-9223372036854775808,"tags":[],"parent":"","metadata":,"content":}`) + 2 +
		len(doc.ID) + len(doc.Kind) + len(doc.Digest) + len(doc.Parent) + len(doc.Metadata) + len(doc.Content)
	for _, t := range doc.Tags {
		n += len(t) + 3
	}
	b = slices.Grow(b, n)
	b = append(b, `{"id":`...)
	b = wire.AppendString(b, doc.ID)
	b = append(b, `,"kind":`...)
	b = wire.AppendString(b, doc.Kind)
	b = append(b, `,"digest":`...)
	b = wire.AppendString(b, doc.Digest)
	b = append(b, `,"created_ms":`...)
	b = strconv.AppendInt(b, doc.CreatedMs, 10)
	b = append(b, `,"tags":[`...)
	for i, t := range doc.Tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = wire.AppendString(b, t)
	}
	b = append(b, ']')
	if doc.Parent != "" {
		b = append(b, `,"parent":`...)
		b = wire.AppendString(b, doc.Parent)
	}
	if len(doc.Metadata) > 0 {
		b = append(b, `,"metadata":`...)
		metaAt = len(b)
		b = append(b, doc.Metadata...)
	}
	b = append(b, `,"content":`...)
	contentAt = len(b)
	b = append(b, doc.Content...)
	return append(b, '}', '\n'), metaAt, contentAt
}

// decode parses a stored document and checks that it hashes to want.
func decode(data []byte, want string) (Artifact, error) {
	var doc Artifact
	if err := json.Unmarshal(data, &doc); err != nil {
		return Artifact{}, fmt.Errorf("%w: %s: %w", ErrCorrupt, want, err)
	}
	id, err := ID(doc.Kind, doc.Content)
	if err != nil || id != want || doc.ID != want || doc.Digest != DigestPrefix+want {
		return Artifact{}, fmt.Errorf("%w: %s does not hash to its id", ErrCorrupt, want)
	}
	if doc.Tags == nil {
		doc.Tags = []string{}
	}
	return doc, nil
}

// clone returns a copy of a that shares no memory with it.
func clone(a Artifact) Artifact {
	a.Tags = append(make([]string, 0, len(a.Tags)), a.Tags...)
	a.Metadata = slices.Clone(a.Metadata)
	a.Content = slices.Clone(a.Content)
	return a
}
