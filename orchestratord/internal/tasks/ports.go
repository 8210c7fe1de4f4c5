package tasks

import (
	"context"

	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// The ports the task service consumes. Each has an in-process default
// (streaming.Hub, nodeapi.Registry, artifacts.FileStore, engine clients);
// replicated adapters can replace them without touching the service.

// EventStore keeps one append-only log of numbered frames per task.
type EventStore interface {
	Create(id string) (*streaming.Log, error)
	Get(id string) (*streaming.Log, bool)
	Delete(id string)
}

// PoolSource is the live view of every pool, static or registered.
type PoolSource interface {
	Pools() []nodeapi.PoolView
	Version() uint64
	Subscribe() (<-chan struct{}, func())
}

// Engines hands out the engine client of a pool.
type Engines interface {
	Client(pool nodeapi.PoolView) (engine.Client, error)
}

// ModelGate is the catalog's say at admission (api.md §6), asked for every
// new task under the service lock, so it must answer from memory: nil
// admits; otherwise the *problem.Error to answer (POOL_UNAVAILABLE for a
// Retired model, UNTRUSTED_ARTIFACT for a model without a verified digest
// under strict trust). Models the catalog does not list are its call too.
type ModelGate interface {
	AdmitModel(model string, strictTrust bool) error
}

// Transcripts stores finished tasks' transcripts and reads them back.
type Transcripts interface {
	Put(ctx context.Context, a artifacts.Artifact) (artifacts.Artifact, bool, error)
	Get(ctx context.Context, id string) (artifacts.Artifact, error)
}
