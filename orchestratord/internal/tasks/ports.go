package tasks

import (
	"context"

	"github.com/orchestratord/orchestratord/libs/artifacts"
	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/sessions"
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
	// PoolsSince returns the views of the pools that changed after version
	// since, or of every pool (full) when the set of pools changed or since
	// is 0, and the version they reflect (nodeapi.Registry.PoolsSince).
	PoolsSince(since uint64) (views []nodeapi.PoolView, version uint64, full bool)
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

// Transcripts stores finished tasks' transcripts behind the task path and
// reads them back (artifacts.Spool in front of a store). Submit returns at
// once and reports the outcome to done; WaitRoom holds a producer while too
// much waits to be written, which is how a disk slower than the streams
// slows the streams instead of filling memory.
type Transcripts interface {
	Submit(a artifacts.Artifact, done func(artifacts.PutResult))
	WaitRoom(ctx context.Context) error
	Get(ctx context.Context, id string) (artifacts.Artifact, error)
}

// Sessions keeps the sessions' metadata: TTL, turns, the pool of the last
// turn and the budgets (sessions.Store is the in-process default; with a
// journal, End and Delete return once their change is durable, and the
// task's terminal frame follows End).
type Sessions interface {
	Check(id string) (sessions.Snapshot, error)
	Begin(id string) sessions.Snapshot
	Served(id, pool string) (reused bool)
	End(id string, t sessions.Turn) (sessions.Snapshot, bool)
	Get(id string) (sessions.Snapshot, bool)
	LastPool(id string) string
	Delete(id string) bool
}
