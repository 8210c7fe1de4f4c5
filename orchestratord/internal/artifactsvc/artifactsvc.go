// Package artifactsvc is the artifact service behind /v2/artifacts: it turns
// the contract's documents into store records and back (api.md §7).
package artifactsvc

import (
	"context"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Service stores and reads artifacts.
type Service struct {
	store artifacts.Store
	now   func() time.Time
}

// New returns a Service over store.
func New(store artifacts.Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// Create stores a document; storing the same {kind, content} again returns
// the stored artifact.
func (s *Service) Create(ctx context.Context, req wire.ArtifactCreateRequest) (wire.ArtifactCreated, error) {
	if !req.Kind.Valid() {
		return wire.ArtifactCreated{}, problem.Invalid("kind", "want plan, summary, diff, trace, transcript, logs or other, got %q", req.Kind)
	}
	if len(req.Content) == 0 || req.Content[0] != '{' {
		return wire.ArtifactCreated{}, problem.Invalid("content", "a JSON object is required")
	}
	if req.Parent != "" && !artifacts.ValidID(req.Parent) {
		return wire.ArtifactCreated{}, problem.Invalid("parent", "an artifact id is 64 lowercase hex characters")
	}
	a, _, err := s.store.Put(ctx, artifacts.Artifact{
		Kind: string(req.Kind), Content: req.Content, Tags: req.Tags, Parent: req.Parent,
		Metadata: req.Metadata, CreatedMs: s.now().UnixMilli(),
	})
	if err != nil {
		return wire.ArtifactCreated{}, err
	}
	return wire.ArtifactCreated{ID: a.ID, Kind: wire.ArtifactKind(a.Kind), Digest: a.Digest, CreatedMs: a.CreatedMs, Tags: a.Tags}, nil
}

// Get reads a stored artifact; the id is validated before any storage access.
func (s *Service) Get(ctx context.Context, id string) (wire.Artifact, error) {
	if !artifacts.ValidID(id) {
		return wire.Artifact{}, problem.Invalid("id", "an artifact id is 64 lowercase hex characters")
	}
	a, err := s.store.Get(ctx, id)
	if err != nil {
		return wire.Artifact{}, err
	}
	return wire.Artifact{
		ID: a.ID, Kind: wire.ArtifactKind(a.Kind), Digest: a.Digest, CreatedMs: a.CreatedMs,
		Content: a.Content, Tags: a.Tags, Parent: a.Parent, Metadata: a.Metadata,
	}, nil
}
