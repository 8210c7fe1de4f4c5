package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/boltstore"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/orchestratord/internal/catalogsvc"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

// catalogFile is the catalog's bbolt file under the data dir, apart from the
// artifacts' file: each store owns its layout and its lock.
const catalogFile = "catalog.db"

var _ catalogsvc.Store = (*boltstore.Catalog)(nil)

// catalogParts is the catalog as wired: its store, the gate the task service
// asks at admission, and the service behind /v2/catalog.
type catalogParts struct {
	store catalogsvc.Store
	cat   *catalog.Catalog
	gate  *catalogsvc.Gate
	svc   *catalogsvc.Service
}

// openCatalog opens the embedded catalog store and loads the entries, so
// that the gate answers before the first task.
func openCatalog(cfg config.Config) (*catalogParts, error) {
	store, err := boltstore.Open(filepath.Join(cfg.DataDir, catalogFile))
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	cat := catalog.New(store, catalog.WithFileRoot(cfg.Catalog.FileRoot))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cat.Load(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("data_dir: %w", err), store.Close())
	}
	return &catalogParts{store: store, cat: cat, gate: catalogsvc.NewGate(cat)}, nil
}

// startService builds the catalog service over the loaded catalog: it ends
// retired models' tasks through svc and keeps orchd_model_state.
func (p *catalogParts) startService(cfg config.Config, svc *tasks.Service, m *metrics.Metrics, log zerolog.Logger) error {
	cs, err := catalogsvc.New(p.cat, catalogsvc.Options{RetireGrace: config.Duration(cfg.Shutdown.GraceMs)},
		catalogsvc.Deps{Tasks: svc, Metrics: m, Log: log.With().Str("component", "catalog").Logger()})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cs.Load(ctx); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	p.svc = cs
	return nil
}

// withoutRetired drops the catalog's Retired models from models: GET
// /v1/models does not offer a model that admits nothing, even when a pool
// still advertises it.
func (p *catalogParts) withoutRetired(models func() []string) func() []string {
	return func() []string {
		states := p.cat.States()
		all := models()
		out := make([]string, 0, len(all))
		for _, m := range all {
			if states[m] != catalog.Retired {
				out = append(out, m)
			}
		}
		return out
	}
}

// close stops background verifications and closes the store.
func (p *catalogParts) close() error {
	if p.svc != nil {
		p.svc.Close()
	}
	if err := p.store.Close(); err != nil {
		return fmt.Errorf("close the catalog store: %w", err)
	}
	return nil
}
