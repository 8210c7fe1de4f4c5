package wire

import (
	"errors"
	"strings"
)

// Limits on identifiers (api.md §2 "ids").
const (
	// MaxIDLength is the longest client-supplied task, session, node or pool id.
	MaxIDLength = 128
	// ArtifactIDLength is the length of an artifact id (lowercase hex SHA-256).
	ArtifactIDLength = 64
)

// ErrInvalidField is the sentinel every *FieldError wraps; the HTTP layer maps
// it to 400 INVALID_PARAMS.
var ErrInvalidField = errors.New("invalid field")

// FieldError names the request field that broke a rule of the contract.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns ErrInvalidField.
func (e *FieldError) Unwrap() error { return ErrInvalidField }

func idByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("._:@+-", c) >= 0
}

// ValidID reports whether s is a valid client-supplied task, session, node or
// pool id: 1–128 characters of [A-Za-z0-9._:@+-].
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idByte(s[i]) {
			return false
		}
	}
	return true
}

// ValidModelRef reports whether s is a valid model id or model_ref: like an id
// (1–128 characters of [A-Za-z0-9._:@+-]) but also allowing '/' (e.g.
// "org/model"), which a URL path carries percent-encoded as %2F.
func ValidModelRef(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '/' && !idByte(s[i]) {
			return false
		}
	}
	return true
}

// ValidArtifactID reports whether s is 64 lowercase hex characters.
func ValidArtifactID(s string) bool {
	if len(s) != ArtifactIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidDigest reports whether s is "sha256:" followed by 64 lowercase hex
// characters.
func ValidDigest(s string) bool {
	rest, ok := strings.CutPrefix(s, DigestPrefix)
	return ok && ValidArtifactID(rest)
}

// DigestPrefix prefixes every digest of the contract.
const DigestPrefix = "sha256:"
