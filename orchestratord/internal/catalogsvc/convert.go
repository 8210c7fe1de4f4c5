package catalogsvc

import (
	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
)

// entryOf takes the fields a client sets; the server's own (state,
// timestamps, verification) are ignored.
func entryOf(m wire.CatalogModel) catalog.Entry {
	e := catalog.Entry{ID: m.ID, Digest: m.Digest, SourceURL: m.SourceURL, Tags: m.Tags}
	for _, x := range m.Manifests {
		e.Manifests = append(e.Manifests, catalog.Manifest{Digest: x.Digest, SizeBytes: x.SizeBytes})
	}
	for _, x := range m.Signatures {
		e.Signatures = append(e.Signatures, catalog.Signature{Signer: x.Signer, Algo: x.Algo, Verified: x.Verified, TimestampMs: x.TimestampMs})
	}
	if m.SBOM != nil {
		e.SBOM = &catalog.SBOM{URI: m.SBOM.URI, Digest: m.SBOM.Digest}
	}
	if p := m.TrustPolicy; p != nil {
		e.TrustPolicy = &catalog.TrustPolicy{
			Mode: string(p.Mode), AllowedRegistries: p.AllowedRegistries, RequireSignature: p.RequireSignature,
			RequireSBOM: p.RequireSBOM, CARoots: p.CARoots,
		}
	}
	return e
}

// modelOf is the stored entry as the routes return it: verified and
// last_verified_ms only once a verification ran.
func modelOf(e *catalog.Entry) wire.CatalogModel {
	m := wire.CatalogModel{
		ID: e.ID, Digest: e.Digest, SourceURL: e.SourceURL, Tags: e.Tags,
		State: wire.ModelState(e.State), CreatedMs: e.CreatedMs, VerifyReason: e.VerifyReason,
	}
	if e.State == catalog.Retired {
		m.RetireDeadlineMs = e.RetireDeadlineMs
	}
	for _, x := range e.Manifests {
		m.Manifests = append(m.Manifests, wire.Manifest{Digest: x.Digest, SizeBytes: x.SizeBytes})
	}
	for _, x := range e.Signatures {
		m.Signatures = append(m.Signatures, wire.Signature{Signer: x.Signer, Algo: x.Algo, Verified: x.Verified, TimestampMs: x.TimestampMs})
	}
	if e.SBOM != nil {
		m.SBOM = &wire.SBOM{URI: e.SBOM.URI, Digest: e.SBOM.Digest}
	}
	if p := e.TrustPolicy; p != nil {
		m.TrustPolicy = &wire.TrustPolicy{
			Mode: wire.TrustMode(p.Mode), AllowedRegistries: p.AllowedRegistries, RequireSignature: p.RequireSignature,
			RequireSBOM: p.RequireSBOM, CARoots: p.CARoots,
		}
	}
	if e.LastVerifiedMs != 0 {
		verified, at := e.Verified, e.LastVerifiedMs
		m.Verified, m.LastVerifiedMs = &verified, &at
	}
	return m
}
