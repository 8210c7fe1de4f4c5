// Package catalogsvc is the model catalog service behind /v2/catalog
// (api.md §6): it turns the contract's documents into catalog entries and
// back, keeps orchd_model_state in step with the entries, verifies sources
// in the background, and ends a retired model's tasks (queued ones at once,
// running ones when the retirement's deadline passes). Gate is the
// admission side the task service consults.
//
// Durable storage is the Store port; the embedded default is
// boltstore.Catalog, one bbolt file under the data dir.
package catalogsvc

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Store is the catalog's durable storage port: entries by model id, each
// write a transaction that is durable when it returns, ids validated before
// any storage access. It is catalog.Store, which the catalog library writes
// through, plus Close; four calls, so that a networked store is one more
// adapter. The embedded default is boltstore.Catalog.
type Store interface {
	catalog.Store
	Close() error
}

// Tasks is what a retirement needs from the task service.
type Tasks interface {
	// EndQueued ends the queued tasks of a retired model.
	EndQueued(model string) int
	// CancelRunning ends the running tasks of a retired model whose
	// deadline passed.
	CancelRunning(model string) int
}

// Metrics records orchd_model_state.
type Metrics interface {
	SetModelState(modelID string, state metrics.ModelState)
	ForgetModel(modelID string)
}

// Options are the service's tunables.
type Options struct {
	// RetireGrace is how long running tasks of a model retired without a
	// deadline_ms may still run.
	RetireGrace time.Duration
	// Verifiers bounds how many sources are hashed at once (default 2).
	Verifiers int
	// Now is the clock (default time.Now); the catalog must share it.
	Now func() time.Time
}

// Deps are the service's collaborators.
type Deps struct {
	Tasks   Tasks
	Metrics Metrics
	Log     zerolog.Logger
}

// Service answers the catalog routes. It is safe for concurrent use; Close
// stops its background work.
type Service struct {
	cat  *catalog.Catalog
	opt  Options
	deps Deps

	ctx    context.Context // ends at Close: verifications stop
	cancel context.CancelFunc
	sem    chan struct{} // one token per running verification

	mu        sync.Mutex
	closed    bool
	verifying map[string]*verifyJob // model id → the verification running for it
	retiring  map[string]*retirement
	bg        sync.WaitGroup // verifications and retirement deadlines
}

// New returns a Service over cat. Call Load before serving.
func New(cat *catalog.Catalog, opt Options, deps Deps) (*Service, error) {
	switch {
	case cat == nil:
		return nil, errors.New("catalogsvc: catalog is required")
	case deps.Tasks == nil, deps.Metrics == nil:
		return nil, errors.New("catalogsvc: tasks and metrics are required")
	case opt.RetireGrace < 0:
		return nil, errors.New("catalogsvc: retire grace must be >= 0")
	}
	if opt.Verifiers < 1 {
		opt.Verifiers = 2
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		cat: cat, opt: opt, deps: deps, ctx: ctx, cancel: cancel,
		sem:       make(chan struct{}, opt.Verifiers),
		verifying: map[string]*verifyJob{},
		retiring:  map[string]*retirement{},
	}, nil
}

// Load reads every entry from the store into the catalog's index and sets
// orchd_model_state for each.
func (s *Service) Load(ctx context.Context) error {
	if err := s.cat.Load(ctx); err != nil {
		return err
	}
	for id, st := range s.cat.States() {
		s.deps.Metrics.SetModelState(id, metrics.ModelState(st))
	}
	return nil
}

// Close stops background verifications and retirement deadlines and waits
// for them; it does not close the store.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	for id, r := range s.retiring {
		r.timer.Stop()
		delete(s.retiring, id)
	}
	s.mu.Unlock()
	s.cancel()
	s.bg.Wait()
}

// Create stores a new Active, unverified entry (api.md §6).
func (s *Service) Create(ctx context.Context, m wire.CatalogModel) (wire.CatalogModel, error) {
	e, err := s.cat.Create(ctx, entryOf(m))
	if err != nil {
		return wire.CatalogModel{}, problemOf(err, m.ID)
	}
	s.deps.Metrics.SetModelState(e.ID, metrics.ModelState(e.State))
	s.deps.Log.Info().Str("model_id", e.ID).Msg("catalog model created")
	return modelOf(&e), nil
}

// List returns every entry, sorted by id.
func (s *Service) List(ctx context.Context) ([]wire.CatalogModel, error) {
	entries, err := s.cat.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]wire.CatalogModel, len(entries))
	for i := range entries {
		out[i] = modelOf(&entries[i])
	}
	return out, nil
}

// Get returns one entry.
func (s *Service) Get(ctx context.Context, id string) (wire.CatalogModel, error) {
	e, err := s.cat.Get(ctx, id)
	if err != nil {
		return wire.CatalogModel{}, problemOf(err, id)
	}
	return modelOf(&e), nil
}

// Delete removes an entry; the model is unknown to the gate again and its
// retirement deadline, if any, is called off.
func (s *Service) Delete(ctx context.Context, id string) error {
	if err := s.cat.Delete(ctx, id); err != nil {
		return problemOf(err, id)
	}
	s.stopRetirement(id)
	s.deps.Metrics.ForgetModel(id)
	s.deps.Log.Info().Str("model_id", id).Msg("catalog model deleted")
	return nil
}

// problemOf maps the catalog's errors to the contract's; other errors (the
// store failing) stay internal.
func problemOf(err error, id string) error {
	var ve *catalog.ValidationError
	switch {
	case errors.As(err, &ve):
		return &problem.Error{Code: wire.CodeInvalidParams, Field: ve.Field, Message: ve.Message(), Err: err}
	case errors.Is(err, catalog.ErrNotFound):
		return &problem.Error{Code: wire.CodeNotFound, Message: "model " + id + " not found", Err: err}
	case errors.Is(err, catalog.ErrExists):
		return &problem.Error{Code: wire.CodeConflict, Message: "model " + id + " already exists", Err: err}
	case errors.Is(err, catalog.ErrConflict):
		return &problem.Error{Code: wire.CodeConflict, Message: "model " + id + " changed meanwhile; try again", Err: err}
	}
	return err
}
