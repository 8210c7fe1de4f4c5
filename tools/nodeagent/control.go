package nodeagent

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// maxControlBody bounds a control request body.
const maxControlBody = 64 << 10

// Handler is the control API the orchestrator calls (api.md §5 Pool
// control), each route answering 202 with no body once the action is
// accepted; its outcome shows in the next heartbeat, sent at once:
//
//	POST /v2/pools/{id}/drain  {deadline_ms}   the pool reports draining
//	POST /v2/pools/{id}/reload {new_model_ref} Ollama loads the model; engines
//	                                           that cannot switch keep theirs
//	                                           and report last_error
//	POST /v2/pools/{id}/purge  {purge_models, drain_first, force}
//
// With a token configured every route needs "Authorization: Bearer <token>"
// (missing or malformed → 401, wrong → 403). Errors are the contract's
// envelope: 400 INVALID_PARAMS, 404 for an unknown pool, 409 while a
// reload or purge of the pool runs, 413 for a body over 64 KiB.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/pools/{id}/drain", a.handleDrain)
	mux.HandleFunc("POST /v2/pools/{id}/reload", a.handleReload)
	mux.HandleFunc("POST /v2/pools/{id}/purge", a.handlePurge)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, wire.CodeNotFound, "no such route")
	})
	return a.authorize(mux)
}

// authorize checks the bearer token in constant time.
func (a *Agent) authorize(next http.Handler) http.Handler {
	if a.cfg.Token == "" {
		return next
	}
	want := sha256.Sum256([]byte(a.cfg.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orchd-node-agent"`)
			writeError(w, wire.CodeUnauthorized, "missing or malformed bearer token")
			return
		}
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeError(w, wire.CodeForbidden, "wrong token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *Agent) handleDrain(w http.ResponseWriter, r *http.Request) {
	var req wire.DrainRequest
	p, ok := a.begin(w, r, &req)
	if !ok {
		return
	}
	if req.DeadlineMs < 0 {
		writeError(w, wire.CodeInvalidParams, "deadline_ms: must not be negative")
		return
	}
	a.mu.Lock()
	p.draining = true
	a.mu.Unlock()
	a.log.Info().Str(fieldPoolID, p.spec.PoolID).Int64("deadline_ms", req.DeadlineMs).Msg("draining")
	a.poke()
	w.WriteHeader(http.StatusAccepted)
}

func (a *Agent) handleReload(w http.ResponseWriter, r *http.Request) {
	var req wire.ReloadRequest
	p, ok := a.begin(w, r, &req)
	if !ok {
		return
	}
	if !wire.ValidModelRef(req.NewModelRef) {
		writeError(w, wire.CodeInvalidParams, "new_model_ref: must be 1-128 characters of [A-Za-z0-9._:@+/-]")
		return
	}
	a.mu.Lock()
	if p.reloading || p.purging {
		a.mu.Unlock()
		writeError(w, wire.CodeConflict, "a reload or purge of this pool is running")
		return
	}
	if p.ollama == nil {
		// The engine serves the model it was started with: the reload fails
		// and the pool stays on its model, ready again.
		p.draining = false
		p.lastError = fmt.Sprintf("reload to %s failed: %s cannot switch models; restart the engine with the new model (the pool stays on %s)",
			req.NewModelRef, p.spec.Engine, modelList(p.spec.Models))
		a.mu.Unlock()
		a.log.Warn().Str(fieldPoolID, p.spec.PoolID).Str(fieldModel, req.NewModelRef).Msg("reload refused: the engine cannot switch models")
		a.poke()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	p.reloading = true
	ctx := a.opCtx
	a.ops.Add(1)
	a.mu.Unlock()
	a.poke()
	go func() {
		defer a.ops.Done()
		a.reload(ctx, p, req.NewModelRef)
	}()
	w.WriteHeader(http.StatusAccepted)
}

// reload loads model into Ollama, then unloads the previous one. On failure
// the previous model stays (it was never unloaded) and last_error says why.
func (a *Agent) reload(ctx context.Context, p *pool, model string) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ReloadTimeout)
	defer cancel()
	a.mu.Lock()
	old := p.model
	a.mu.Unlock()
	// The models to leave memory once the new one is in: the one the last
	// reload loaded, else whatever Ollama holds now.
	previous := []string{old}
	if old == "" {
		previous, _ = p.ollama.Loaded(ctx)
	}
	err := p.ollama.Load(ctx, model)
	for _, m := range previous {
		if err != nil || m == "" || m == model {
			continue
		}
		if uerr := p.ollama.Unload(ctx, m); uerr != nil {
			a.log.Warn().Err(uerr).Str(fieldPoolID, p.spec.PoolID).Str(fieldModel, m).Msg("unloading the previous model failed")
		}
	}
	a.mu.Lock()
	p.reloading, p.draining = false, false
	if err != nil {
		p.lastError = fmt.Sprintf("reload to %s failed: %v (the pool stays on %s)", model, err, modelList(previous))
	} else {
		p.model, p.lastError = model, ""
	}
	a.mu.Unlock()
	if err != nil {
		a.log.Warn().Err(err).Str(fieldPoolID, p.spec.PoolID).Str(fieldModel, model).Msg("reload failed")
	} else {
		a.log.Info().Str(fieldPoolID, p.spec.PoolID).Str(fieldModel, model).Msg("reloaded")
	}
	a.poke()
}

func (a *Agent) handlePurge(w http.ResponseWriter, r *http.Request) {
	var req wire.PurgeRequest
	p, ok := a.begin(w, r, &req)
	if !ok {
		return
	}
	if len(req.PurgeModels) == 0 {
		writeError(w, wire.CodeInvalidParams, "purge_models: at least one model is required")
		return
	}
	for _, m := range req.PurgeModels {
		if !wire.ValidModelRef(m) {
			writeError(w, wire.CodeInvalidParams, "purge_models: must hold model ids of [A-Za-z0-9._:@+/-]")
			return
		}
	}
	a.mu.Lock()
	if p.reloading || p.purging {
		a.mu.Unlock()
		writeError(w, wire.CodeConflict, "a reload or purge of this pool is running")
		return
	}
	if p.ollama == nil {
		p.lastError = fmt.Sprintf("purge of %s failed: %s cannot remove models", strings.Join(req.PurgeModels, ", "), p.spec.Engine)
		a.mu.Unlock()
		a.poke()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	p.purging = true
	wasDraining := p.draining
	if req.DrainFirst {
		p.draining = true
	}
	ctx := a.opCtx
	a.ops.Add(1)
	a.mu.Unlock()
	a.poke()
	go func() {
		defer a.ops.Done()
		a.purge(ctx, p, req, wasDraining)
	}()
	w.WriteHeader(http.StatusAccepted)
}

// purge removes models from Ollama's store. A loaded model is unloaded first
// with force, and skipped (reported in last_error) without it.
func (a *Agent) purge(ctx context.Context, p *pool, req wire.PurgeRequest, wasDraining bool) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ReloadTimeout)
	defer cancel()
	var errs []error
	loaded, err := p.ollama.Loaded(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, m := range req.PurgeModels {
		if err != nil {
			break
		}
		if slices.Contains(loaded, m) {
			if !req.Force {
				errs = append(errs, fmt.Errorf("%s is loaded; purge with force to remove it", m))
				continue
			}
			if uerr := p.ollama.Unload(ctx, m); uerr != nil {
				errs = append(errs, uerr)
				continue
			}
		}
		if derr := p.ollama.Delete(ctx, m); derr != nil {
			errs = append(errs, derr)
		}
	}
	a.mu.Lock()
	p.purging, p.draining = false, wasDraining
	p.lastError = ""
	if len(errs) > 0 {
		p.lastError = "purge failed: " + errors.Join(errs...).Error()
	}
	a.mu.Unlock()
	a.poke()
}

// begin resolves the pool of the path and decodes the body into dst; on
// failure it writes the error and returns false.
func (a *Agent) begin(w http.ResponseWriter, r *http.Request, dst any) (*pool, bool) {
	p, ok := a.byID[r.PathValue("id")]
	if !ok {
		writeError(w, wire.CodeNotFound, "unknown pool")
		return nil, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, wire.CodePayloadTooLarge, "request body too large")
		case errors.Is(err, io.EOF):
			writeError(w, wire.CodeInvalidParams, "body: a JSON body is required")
		default:
			writeError(w, wire.CodeInvalidParams, "body: malformed JSON")
		}
		return nil, false
	}
	return p, true
}

func writeError(w http.ResponseWriter, code wire.ErrorCode, msg string) {
	b, _ := json.Marshal(wire.ErrorEnvelope{Code: code, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code.HTTPStatus())
	_, _ = w.Write(append(b, '\n'))
}

func modelList(models []string) string {
	models = slices.DeleteFunc(slices.Clone(models), func(m string) bool { return m == "" })
	if len(models) == 0 {
		return "the model it serves"
	}
	return strings.Join(models, ", ")
}
