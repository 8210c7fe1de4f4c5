package simengine

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// The model-management subset of Ollama's native API, so that a node agent
// can switch the model the simulated engine holds loaded (api.md §5 pool
// reload) through the same calls it makes to a real Ollama server:
//
//	GET  /api/tags      the local models: every served model
//	GET  /api/ps        the loaded models: the first served model at start
//	GET  /api/version
//	POST /api/generate  with an empty prompt: load the model (after the
//	                    switch time), or unload it with keep_alive 0
//
// Generating text over the native API is not simulated: a non-empty prompt
// answers 400, generation goes through /completion or /v1.

// ollamaVersion is what GET /api/version reports.
const ollamaVersion = "0.0.0-simengine"

// loadedModels is the set Ollama holds in memory.
type loadedModels struct {
	mu     sync.Mutex
	models []string
}

func (l *loadedModels) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.models)
}

func (l *loadedModels) load(m string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.models, m) {
		l.models = append([]string{m}, l.models...)
	}
}

func (l *loadedModels) unload(m string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.models = slices.DeleteFunc(l.models, func(x string) bool { return x == m })
}

type ollamaModel struct {
	Name  string `json:"name"`
	Model string `json:"model"`
}

func ollamaList(names []string) map[string][]ollamaModel {
	out := make([]ollamaModel, len(names))
	for i, n := range names {
		out[i] = ollamaModel{Name: n, Model: n}
	}
	return map[string][]ollamaModel{"models": out}
}

func (s *Server) handleOllamaTags(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, ollamaList(s.cfg.models))
}

func (s *Server) handleOllamaPS(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, ollamaList(s.loaded.list()))
}

func (s *Server) handleOllamaVersion(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, map[string]string{"version": ollamaVersion})
}

// handleOllamaGenerate loads or unloads a model as Ollama does for an empty
// prompt; errors are Ollama's {"error": "..."}.
func (s *Server) handleOllamaGenerate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model     string `json:"model"`
		Prompt    string `json:"prompt"`
		KeepAlive *int   `json:"keep_alive"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	switch {
	case req.Model == "":
		writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": "model is required"})
		return
	case req.Prompt != "":
		writeControlJSON(w, http.StatusBadRequest, map[string]string{"error": "simengine: generation over /api/generate is not simulated; use /completion or /v1"})
		return
	case !slices.Contains(s.cfg.models, req.Model):
		writeControlJSON(w, http.StatusNotFound, map[string]string{"error": "model '" + req.Model + "' not found"})
		return
	}
	if req.KeepAlive != nil && *req.KeepAlive == 0 {
		s.loaded.unload(req.Model)
		writeControlJSON(w, http.StatusOK, map[string]any{"model": req.Model, "response": "", "done": true, "done_reason": "unload"})
		return
	}
	if s.cfg.switchTime > 0 {
		t := time.NewTimer(s.cfg.switchTime)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	s.loaded.load(req.Model)
	writeControlJSON(w, http.StatusOK, map[string]any{"model": req.Model, "response": "", "done": true, "done_reason": "load"})
}
