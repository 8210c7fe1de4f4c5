package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	// ErrNotFound: no artifact is stored under the id.
	ErrNotFound = errors.New("artifacts: not found")
	// ErrInvalidID: the id is not 64 lowercase hex characters.
	ErrInvalidID = errors.New("artifacts: invalid id")
	// ErrTooLarge: the stored document would exceed the store's size limit.
	ErrTooLarge = errors.New("artifacts: document too large")
	// ErrInvalid: the document is malformed (bad kind, content, tags, parent,
	// metadata, or an id/digest that does not match the content).
	ErrInvalid = errors.New("artifacts: invalid document")
	// ErrCorrupt: a stored document does not hash to its id.
	ErrCorrupt = errors.New("artifacts: stored document is corrupt")
	// ErrLocked: another process holds the store's file lock.
	ErrLocked = errors.New("artifacts: store is locked by another process")
)

// Kinds of artifact (api.md §7).
const (
	KindPlan       = "plan"
	KindSummary    = "summary"
	KindDiff       = "diff"
	KindTrace      = "trace"
	KindTranscript = "transcript"
	KindLogs       = "logs"
	KindOther      = "other"
)

// ValidKind reports whether kind is one of the artifact kinds.
func ValidKind(kind string) bool {
	switch kind {
	case KindPlan, KindSummary, KindDiff, KindTrace, KindTranscript, KindLogs, KindOther:
		return true
	}
	return false
}

// DigestPrefix prefixes the hex id in an artifact's Digest.
const DigestPrefix = "sha256:"

// Artifact is a stored document. Content and Metadata are stored in
// canonical form (see Canonical).
type Artifact struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	Digest    string          `json:"digest"` // "sha256:" + ID
	CreatedMs int64           `json:"created_ms"`
	Tags      []string        `json:"tags"`
	Parent    string          `json:"parent,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Content   json.RawMessage `json:"content"`

	built []byte // Content as an Object wrote it (see Object.Artifact)
}

// Store is the artifact storage port.
type Store interface {
	// Put validates a, fills in ID, Digest and (when zero) CreatedMs, and
	// stores it. When an artifact with the same id is stored already, Put
	// returns the stored one with created=false and writes nothing.
	Put(ctx context.Context, a Artifact) (stored Artifact, created bool, err error)
	// Get returns the artifact stored under id: ErrInvalidID for a malformed
	// id (checked before any storage access), ErrNotFound when none is stored.
	Get(ctx context.Context, id string) (Artifact, error)
}

// ID returns the id of a document: the lowercase hex SHA-256 of the canonical
// JSON of {"content": content, "kind": kind}. It fails with ErrInvalid when
// content cannot be canonicalized (see Canonical) or kind is not valid UTF-8.
func ID(kind string, content json.RawMessage) (string, error) {
	if !utf8.ValidString(kind) {
		return "", fmt.Errorf("%w: kind is not valid UTF-8", ErrInvalid)
	}
	c, err := canonicalView(content)
	if err != nil {
		return "", err
	}
	return idOfCanonical(kind, c), nil
}

// idOfCanonical hashes {"content":c,"kind":kind}; c is canonical already and
// "content" sorts before "kind", so the bytes hashed are canonical.
func idOfCanonical(kind string, c []byte) string {
	h := sha256.New()
	h.Write([]byte(`{"content":`))
	h.Write(c)
	h.Write([]byte(`,"kind":`))
	h.Write(appendString(nil, kind))
	h.Write([]byte{'}'})
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// ValidID reports whether id is exactly 64 lowercase hex characters.
func ValidID(id string) bool {
	if len(id) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isLowerHex(id[i]) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') }
