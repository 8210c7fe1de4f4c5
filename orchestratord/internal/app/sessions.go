package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/sessions/boltstore"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
)

// sessionsFile is the sessions' bbolt file under the data dir, apart from
// the catalog's and the artifacts': each store owns its layout and lock.
const sessionsFile = "sessions.db"

// sessionParts are the sessions as wired: the in-memory store the task
// service asks (the authority at admission), the journal that writes its
// changes behind it with group commit, and the file under them.
type sessionParts struct {
	store   *sessions.Store
	journal *sessions.Journal
	file    *boltstore.Store
}

// openSessions opens the sessions file and loads the live sessions into
// the store, so that budgets spent before a restart or a crash still count
// from the first task.
func openSessions(cfg config.Config, log zerolog.Logger) (*sessionParts, error) {
	file, err := boltstore.Open(filepath.Join(cfg.DataDir, sessionsFile))
	if err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	log = log.With().Str("component", "sessions").Logger()
	journal := sessions.NewJournal(file, sessions.WithErrorHandler(func(err error) {
		log.Error().Err(err).Msg("sessions not written; the next change of each writes it again")
	}))
	p := &sessionParts{journal: journal, file: file}
	p.store, err = sessions.New(config.Duration(cfg.Sessions.TTLMs), sessions.Budgets{
		Tokens: cfg.Sessions.Budgets.Tokens, Time: config.Duration(cfg.Sessions.Budgets.TimeMs), Cost: cfg.Sessions.Budgets.Cost,
	}, sessions.WithCostPerToken(cfg.Sessions.CostPerToken), sessions.WithJournal(journal))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sessions: %w", err), p.close(context.Background()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := p.store.Load(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("data_dir: %w", err), p.close(context.Background()))
	}
	if len(st.Corrupt) > 0 {
		log.Error().Strs("session_ids", st.Corrupt).Msg("unreadable sessions removed: their budgets start over")
	}
	log.Info().Int("loaded", st.Loaded).Int("expired", st.Expired).Msg("sessions loaded")
	return p, nil
}

// close writes what the journal holds and closes the file.
func (p *sessionParts) close(ctx context.Context) error {
	var errs []error
	if err := p.journal.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("write the sessions: %w", err))
	}
	if err := p.file.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
