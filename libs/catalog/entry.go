package catalog

import "slices"

// State is the lifecycle state of a catalog entry.
type State string

// Lifecycle states.
const (
	// Active models admit tasks.
	Active State = "Active"
	// Retired models admit no new tasks; running ones may finish before the
	// entry's RetireDeadlineMs.
	Retired State = "Retired"
)

// Valid reports whether s is Active or Retired.
func (s State) Valid() bool { return s == Active || s == Retired }

// Trust policy modes (TrustPolicy.Mode).
const (
	TrustStrict     = "strict"
	TrustPermissive = "permissive"
)

// Entry is one catalog model. The caller of Create sets the descriptive
// fields (ID through TrustPolicy); the Catalog sets the rest.
type Entry struct {
	ID          string
	Digest      string // "sha256:<64 lowercase hex>" of the model file
	SourceURL   string // file:///abs/path, http(s)://…, or a registry reference
	Tags        []string
	Manifests   []Manifest
	Signatures  []Signature
	SBOM        *SBOM
	TrustPolicy *TrustPolicy

	State            State
	CreatedMs        int64 // Unix ms of Create
	StateChangedMs   int64 // Unix ms of the last change of State
	RetireDeadlineMs int64 // Unix ms by which running tasks of a Retired model must end; 0 when Active

	// Verified reports whether the last verification passed: the source's
	// SHA-256 equals Digest and the trust policy's requirements are met.
	Verified bool
	// LastVerifiedMs is the Unix ms of the last verification, 0 until one ran.
	LastVerifiedMs int64
	// VerifyReason says why the last verification failed; empty on success.
	VerifyReason string
}

// Manifest is one layer or file of a model.
type Manifest struct {
	Digest    string // "<algorithm>:<lowercase hex>"
	SizeBytes int64
}

// Signature is a signature over a model as the registrant recorded it; the
// catalog stores it and does not check it cryptographically.
type Signature struct {
	Signer      string
	Algo        string
	Verified    bool
	TimestampMs int64
}

// SBOM points at a model's software bill of materials.
type SBOM struct {
	URI    string
	Digest string
}

// TrustPolicy says what a model must prove before it serves tasks.
type TrustPolicy struct {
	// Mode is TrustStrict (tasks are admitted only once the entry is
	// verified, whatever the request asks) or TrustPermissive.
	Mode string
	// AllowedRegistries, when not empty, lists the hosts an http(s) or
	// registry source_url may name.
	AllowedRegistries []string
	// RequireSignature: verification passes only with a signature marked
	// verified.
	RequireSignature bool
	// RequireSBOM: verification passes only with an SBOM that has a URI.
	RequireSBOM bool
	// CARoots are PEM roots kept for the registrant's signature tooling.
	CARoots []string
}

// Clone returns a deep copy of e that shares no memory with it.
func (e Entry) Clone() Entry {
	e.Tags = slices.Clone(e.Tags)
	e.Manifests = slices.Clone(e.Manifests)
	e.Signatures = slices.Clone(e.Signatures)
	if e.SBOM != nil {
		s := *e.SBOM
		e.SBOM = &s
	}
	if e.TrustPolicy != nil {
		p := *e.TrustPolicy
		p.AllowedRegistries = slices.Clone(p.AllowedRegistries)
		p.CARoots = slices.Clone(p.CARoots)
		e.TrustPolicy = &p
	}
	return e
}

// strictPolicy reports whether the entry's own policy demands verification.
func (e *Entry) strictPolicy() bool {
	return e.TrustPolicy != nil && e.TrustPolicy.Mode == TrustStrict
}

// policyShortfall returns why the entry fails its trust policy's
// requirements beyond the digest, or "" when it meets them.
func (e *Entry) policyShortfall() string {
	p := e.TrustPolicy
	if p == nil {
		return ""
	}
	if p.RequireSignature && !slices.ContainsFunc(e.Signatures, func(s Signature) bool { return s.Verified }) {
		return "trust policy requires a verified signature"
	}
	if p.RequireSBOM && (e.SBOM == nil || e.SBOM.URI == "") {
		return "trust policy requires an SBOM"
	}
	return ""
}
