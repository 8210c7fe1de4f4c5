package simengine

import (
	"slices"
	"sync"
)

// loadedModels is the set of models Ollama holds in memory (GET /api/ps):
// every served model at start; a generation or an empty-prompt load
// adds one, keep_alive 0 removes it. A node agent switches a pool's model
// (api.md §5 reload) through these calls.
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
