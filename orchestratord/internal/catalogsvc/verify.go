package catalogsvc

import (
	"context"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// verifyJob is the verification running for one entry; again asks for one
// more pass because a request arrived while it ran.
type verifyJob struct{ again bool }

// Verify starts verifying the entry's source in the background (api.md §6:
// 202) and returns the entry as it stands; its verified, last_verified_ms
// and verify_reason change once the hash is done. A request for an entry
// whose verification is running asks for one more pass after it, so the
// result always reflects the source as it was after the last request.
func (s *Service) Verify(ctx context.Context, id string) (wire.CatalogModel, error) {
	e, err := s.cat.Get(ctx, id)
	if err != nil {
		return wire.CatalogModel{}, problemOf(err, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return modelOf(&e), nil
	}
	if job, ok := s.verifying[id]; ok {
		job.again = true
		return modelOf(&e), nil
	}
	s.verifying[id] = &verifyJob{}
	s.bg.Add(1)
	go s.verifyLoop(id)
	return modelOf(&e), nil
}

// verifyLoop verifies id until no further pass was asked for, at most
// Options.Verifiers sources at a time; Close stops it.
func (s *Service) verifyLoop(id string) {
	defer s.bg.Done()
	for {
		s.verifyOnce(id)
		s.mu.Lock()
		job := s.verifying[id]
		if !job.again || s.closed {
			delete(s.verifying, id)
			s.mu.Unlock()
			return
		}
		job.again = false
		s.mu.Unlock()
	}
}

func (s *Service) verifyOnce(id string) {
	select {
	case s.sem <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	defer func() { <-s.sem }()
	log := s.deps.Log.With().Str("model_id", id).Logger()
	e, err := s.cat.Verify(s.ctx, id)
	switch {
	case err != nil && s.ctx.Err() != nil:
		log.Debug().Err(err).Msg("verification stopped: shutting down")
	case err != nil:
		// The entry was deleted or replaced while its source was hashed
		// (nothing recorded), or the store failed.
		log.Warn().Err(err).Msg("verification not recorded")
	case e.Verified:
		log.Info().Msg("catalog model verified")
	default:
		log.Warn().Str("reason", e.VerifyReason).Msg("catalog model failed verification")
	}
}
