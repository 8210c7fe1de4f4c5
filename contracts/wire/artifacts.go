package wire

import "encoding/json"

// ArtifactKind is the kind of an artifact.
type ArtifactKind string

// Artifact kinds.
const (
	ArtifactPlan       ArtifactKind = "plan"
	ArtifactSummary    ArtifactKind = "summary"
	ArtifactDiff       ArtifactKind = "diff"
	ArtifactTrace      ArtifactKind = "trace"
	ArtifactTranscript ArtifactKind = "transcript"
	ArtifactLogs       ArtifactKind = "logs"
	ArtifactOther      ArtifactKind = "other"
)

// ArtifactKinds returns every artifact kind.
func ArtifactKinds() []ArtifactKind {
	return []ArtifactKind{ArtifactPlan, ArtifactSummary, ArtifactDiff, ArtifactTrace,
		ArtifactTranscript, ArtifactLogs, ArtifactOther}
}

// Valid reports whether k is an artifact kind of the contract.
func (k ArtifactKind) Valid() bool {
	switch k {
	case ArtifactPlan, ArtifactSummary, ArtifactDiff, ArtifactTrace,
		ArtifactTranscript, ArtifactLogs, ArtifactOther:
		return true
	}
	return false
}

// Tags of the transcript artifact stored when a task ends.
const (
	TagSSE           = "sse"
	TagTaskPrefix    = "task:"
	TagSessionPrefix = "session:"
)

// ArtifactCreateRequest is the body of POST /v2/artifacts. Content is any
// JSON object and Metadata any JSON object; both keep their bytes. The id is
// the SHA-256 of the canonical JSON of {kind, content}.
type ArtifactCreateRequest struct {
	Kind     ArtifactKind    `json:"kind"`
	Content  json.RawMessage `json:"content"`
	Tags     []string        `json:"tags,omitempty"`
	Parent   string          `json:"parent,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// ArtifactCreated is the 201 body of POST /v2/artifacts.
type ArtifactCreated struct {
	ID        string       `json:"id"`
	Kind      ArtifactKind `json:"kind"`
	Digest    string       `json:"digest"`
	CreatedMs int64        `json:"created_ms"`
	Tags      []string     `json:"tags,omitempty"`
}

// Artifact is the whole stored document, the body of GET /v2/artifacts/{id}.
type Artifact struct {
	ID        string          `json:"id"`
	Kind      ArtifactKind    `json:"kind"`
	Digest    string          `json:"digest"`
	CreatedMs int64           `json:"created_ms"`
	Content   json.RawMessage `json:"content"`
	Tags      []string        `json:"tags,omitempty"`
	Parent    string          `json:"parent,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// TranscriptMetadata is the metadata of a task's transcript artifact. Its
// fields are in the order of their JSON names, so that encoding/json writes
// it in canonical form (RFC 8785 sorts keys) and the store keeps it as is.
type TranscriptMetadata struct {
	Engine        Engine `json:"engine,omitempty"`
	EngineVersion string `json:"engine_version,omitempty"`
	ModelRef      string `json:"model_ref,omitempty"`
	NodeID        string `json:"node_id,omitempty"`
	PoolID        string `json:"pool_id,omitempty"`
}
