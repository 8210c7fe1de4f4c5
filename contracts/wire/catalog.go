package wire

// ModelState is the lifecycle state of a catalog model.
type ModelState string

// Model states.
const (
	ModelActive  ModelState = "Active"
	ModelRetired ModelState = "Retired"
)

// ModelStates returns every model state.
func ModelStates() []ModelState { return []ModelState{ModelActive, ModelRetired} }

// Valid reports whether s is a model state of the contract.
func (s ModelState) Valid() bool { return s == ModelActive || s == ModelRetired }

// TrustMode is a model's trust policy mode.
type TrustMode string

// Trust modes (also the values of the X-Trust-Policy header).
const (
	TrustStrict     TrustMode = "strict"
	TrustPermissive TrustMode = "permissive"
)

// TrustModes returns every trust mode.
func TrustModes() []TrustMode { return []TrustMode{TrustStrict, TrustPermissive} }

// Valid reports whether m is a trust mode of the contract.
func (m TrustMode) Valid() bool { return m == TrustStrict || m == TrustPermissive }

// CatalogModel is the body of POST /v2/catalog/models and the stored entry
// the catalog routes return. State, CreatedMs, RetireDeadlineMs, Verified,
// LastVerifiedMs and VerifyReason are set by the server: Verified is nil
// until a verification ran, VerifyReason says why the last one failed,
// RetireDeadlineMs is when running tasks of a Retired model are ended.
type CatalogModel struct {
	ID               string       `json:"id"`
	Digest           string       `json:"digest"`
	SourceURL        string       `json:"source_url,omitempty"`
	Tags             []string     `json:"tags,omitempty"`
	Manifests        []Manifest   `json:"manifests,omitempty"`
	Signatures       []Signature  `json:"signatures,omitempty"`
	SBOM             *SBOM        `json:"sbom,omitempty"`
	TrustPolicy      *TrustPolicy `json:"trust_policy,omitempty"`
	State            ModelState   `json:"state,omitempty"`
	CreatedMs        int64        `json:"created_ms,omitempty"`
	RetireDeadlineMs int64        `json:"retire_deadline_ms,omitempty"`
	Verified         *bool        `json:"verified,omitempty"`
	LastVerifiedMs   *int64       `json:"last_verified_ms,omitempty"`
	VerifyReason     string       `json:"verify_reason,omitempty"`
}

// Manifest is one layer or file of a model.
type Manifest struct {
	Digest    string `json:"digest"`
	SizeBytes int64  `json:"size_bytes"`
}

// Signature is a signature over a model.
type Signature struct {
	Signer      string `json:"signer"`
	Algo        string `json:"algo"`
	Verified    bool   `json:"verified"`
	TimestampMs int64  `json:"timestamp_ms"`
}

// SBOM points at a model's software bill of materials.
type SBOM struct {
	URI    string `json:"uri"`
	Digest string `json:"digest"`
}

// TrustPolicy says what a model must prove before it serves tasks.
type TrustPolicy struct {
	Mode              TrustMode `json:"mode"`
	AllowedRegistries []string  `json:"allowed_registries,omitempty"`
	RequireSignature  bool      `json:"require_signature,omitempty"`
	RequireSBOM       bool      `json:"require_sbom,omitempty"`
	CARoots           []string  `json:"ca_roots,omitempty"`
}

// ModelStateRequest is the body of POST /v2/catalog/models/{id}/state;
// running tasks of a retired model may finish within DeadlineMs.
type ModelStateRequest struct {
	State      ModelState `json:"state"`
	DeadlineMs *int64     `json:"deadline_ms,omitempty"`
}

// Availability is an item of GET /v2/catalog/availability.
type Availability struct {
	ModelID string             `json:"model_id"`
	Pools   []AvailabilityPool `json:"pools,omitempty"`
}

// AvailabilityPool is a pool that has the model.
type AvailabilityPool struct {
	PoolID    string `json:"pool_id"`
	NodeID    string `json:"node_id,omitempty"`
	Ready     bool   `json:"ready"`
	SlotsFree int    `json:"slots_free"`
}
