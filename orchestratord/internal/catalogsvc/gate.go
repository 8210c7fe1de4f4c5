package catalogsvc

import (
	"context"
	"errors"
	"sort"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

// Gate is the catalog's say at admission (tasks.ModelGate) and its list of
// Active models (GET /v1/models). It answers from the catalog's in-memory
// index, so it is cheap enough to ask under the task service's lock.
type Gate struct{ cat *catalog.Catalog }

// NewGate returns the gate of cat; load cat before the first task.
func NewGate(cat *catalog.Catalog) *Gate { return &Gate{cat: cat} }

// AdmitModel decides whether a new task for model may be admitted:
//
//   - Retired → 503 POOL_UNAVAILABLE, saying retired;
//   - strict trust (the request's X-Trust-Policy or the entry's own
//     trust_policy) and no verified digest → 400 UNTRUSTED_ARTIFACT;
//   - a model the catalog does not list passes unless the request asks for
//     strict trust: pools advertise models nobody registered, and a model
//     the catalog never verified has no verified digest.
func (g *Gate) AdmitModel(model string, strictTrust bool) error {
	err := g.cat.Admit(context.Background(), model, strictTrust)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, catalog.ErrRetired):
		return &problem.Error{Code: wire.CodePoolUnavailable, Message: "model " + model + " is retired and admits no new tasks"}
	case errors.Is(err, catalog.ErrUntrusted):
		return &problem.Error{Code: wire.CodeUntrustedArtifact, Message: "model " + model + " has no verified digest in the catalog (trust policy strict)"}
	}
	return err
}

// ActiveModels lists the ids of the Active catalog models, sorted.
func (g *Gate) ActiveModels() []string {
	var out []string
	for id, st := range g.cat.States() {
		if st == catalog.Active {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
