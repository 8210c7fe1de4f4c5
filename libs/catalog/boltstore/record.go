package boltstore

import (
	"encoding/json"
	"fmt"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// recordVersion is the layout of a stored entry; a file written by a later
// layout is refused rather than misread.
const recordVersion = 1

// record is an Entry as stored: JSON with names of its own, so that renaming
// a Go field never changes what is on disk.
type record struct {
	Version          int               `json:"v"`
	ID               string            `json:"id"`
	Digest           string            `json:"digest"`
	SourceURL        string            `json:"source_url,omitempty"`
	Tags             []string          `json:"tags,omitempty"`
	Manifests        []manifestRecord  `json:"manifests,omitempty"`
	Signatures       []signatureRecord `json:"signatures,omitempty"`
	SBOM             *sbomRecord       `json:"sbom,omitempty"`
	TrustPolicy      *policyRecord     `json:"trust_policy,omitempty"`
	State            string            `json:"state"`
	CreatedMs        int64             `json:"created_ms"`
	StateChangedMs   int64             `json:"state_changed_ms"`
	RetireDeadlineMs int64             `json:"retire_deadline_ms,omitempty"`
	Verified         bool              `json:"verified,omitempty"`
	LastVerifiedMs   int64             `json:"last_verified_ms,omitempty"`
	VerifyReason     string            `json:"verify_reason,omitempty"`
}

type manifestRecord struct {
	Digest    string `json:"digest"`
	SizeBytes int64  `json:"size_bytes"`
}

type signatureRecord struct {
	Signer      string `json:"signer"`
	Algo        string `json:"algo"`
	Verified    bool   `json:"verified"`
	TimestampMs int64  `json:"timestamp_ms"`
}

type sbomRecord struct {
	URI    string `json:"uri"`
	Digest string `json:"digest"`
}

type policyRecord struct {
	Mode              string   `json:"mode"`
	AllowedRegistries []string `json:"allowed_registries,omitempty"`
	RequireSignature  bool     `json:"require_signature,omitempty"`
	RequireSBOM       bool     `json:"require_sbom,omitempty"`
	CARoots           []string `json:"ca_roots,omitempty"`
}

// encode returns the stored form of e.
func encode(e *catalog.Entry) ([]byte, error) {
	r := record{
		Version: recordVersion, ID: e.ID, Digest: e.Digest, SourceURL: e.SourceURL, Tags: e.Tags,
		State: string(e.State), CreatedMs: e.CreatedMs, StateChangedMs: e.StateChangedMs,
		RetireDeadlineMs: e.RetireDeadlineMs, Verified: e.Verified, LastVerifiedMs: e.LastVerifiedMs,
		VerifyReason: e.VerifyReason,
	}
	for _, m := range e.Manifests {
		r.Manifests = append(r.Manifests, manifestRecord(m))
	}
	for _, s := range e.Signatures {
		r.Signatures = append(r.Signatures, signatureRecord(s))
	}
	if e.SBOM != nil {
		r.SBOM = &sbomRecord{URI: e.SBOM.URI, Digest: e.SBOM.Digest}
	}
	if p := e.TrustPolicy; p != nil {
		r.TrustPolicy = &policyRecord{
			Mode: p.Mode, AllowedRegistries: p.AllowedRegistries, RequireSignature: p.RequireSignature,
			RequireSBOM: p.RequireSBOM, CARoots: p.CARoots,
		}
	}
	return json.Marshal(&r)
}

// decode reads a stored entry; key is the id it was stored under. The
// result shares no memory with b (bbolt's pages are valid only inside the
// transaction).
func decode(key, b []byte) (catalog.Entry, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return catalog.Entry{}, fmt.Errorf("%w: entry %q: %v", ErrCorrupt, key, err)
	}
	switch {
	case r.Version != recordVersion:
		return catalog.Entry{}, fmt.Errorf("%w: entry %q has layout version %d, this build reads %d", ErrCorrupt, key, r.Version, recordVersion)
	case r.ID != string(key):
		return catalog.Entry{}, fmt.Errorf("%w: entry under %q names id %q", ErrCorrupt, key, r.ID)
	}
	e := catalog.Entry{
		ID: r.ID, Digest: r.Digest, SourceURL: r.SourceURL, Tags: r.Tags,
		State: catalog.State(r.State), CreatedMs: r.CreatedMs, StateChangedMs: r.StateChangedMs,
		RetireDeadlineMs: r.RetireDeadlineMs, Verified: r.Verified, LastVerifiedMs: r.LastVerifiedMs,
		VerifyReason: r.VerifyReason,
	}
	for _, m := range r.Manifests {
		e.Manifests = append(e.Manifests, catalog.Manifest(m))
	}
	for _, s := range r.Signatures {
		e.Signatures = append(e.Signatures, catalog.Signature(s))
	}
	if r.SBOM != nil {
		e.SBOM = &catalog.SBOM{URI: r.SBOM.URI, Digest: r.SBOM.Digest}
	}
	if p := r.TrustPolicy; p != nil {
		e.TrustPolicy = &catalog.TrustPolicy{
			Mode: p.Mode, AllowedRegistries: p.AllowedRegistries, RequireSignature: p.RequireSignature,
			RequireSBOM: p.RequireSBOM, CARoots: p.CARoots,
		}
	}
	return e, nil
}
