package nodeagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/ollama"
)

// maxOllamaBody bounds an answer of the Ollama API.
const maxOllamaBody = 4 << 20

// ErrOllama is wrapped by every failure Ollama reported (a non-2xx answer).
var ErrOllama = errors.New("ollama")

// ollamaClient controls the models of one Ollama server through its native
// API: /api/ps (loaded models), /api/generate (load or unload a model) and
// /api/delete. The pool's health comes from the engine adapter's Probe
// (libs/engine/ollama: /api/version, /api/tags, /api/ps).
type ollamaClient struct {
	base   string
	hc     *http.Client
	apiKey string
}

type ollamaModels struct {
	Models []struct {
		Name  string `json:"name"`
		Model string `json:"model"`
	} `json:"models"`
}

func (m *ollamaModels) names() []string {
	out := make([]string, 0, len(m.Models))
	for _, e := range m.Models {
		name := e.Name
		if name == "" {
			name = e.Model
		}
		if name != "" {
			out = append(out, ollama.ModelName(name))
		}
	}
	return out
}

// Loaded returns the models Ollama holds in memory (/api/ps).
func (o *ollamaClient) Loaded(ctx context.Context) ([]string, error) {
	var ps ollamaModels
	status, err := o.getJSON(ctx, "/api/ps", &ps)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%w: /api/ps: status %d", ErrOllama, status)
	}
	return ps.names(), nil
}

// Load asks Ollama to load model and keep it loaded (an empty prompt only
// loads; keep_alive -1 keeps it in memory until unloaded).
func (o *ollamaClient) Load(ctx context.Context, model string) error {
	return o.send(ctx, http.MethodPost, "/api/generate",
		map[string]any{"model": model, "prompt": "", "stream": false, "keep_alive": -1})
}

// Unload asks Ollama to free model's memory (keep_alive 0).
func (o *ollamaClient) Unload(ctx context.Context, model string) error {
	return o.send(ctx, http.MethodPost, "/api/generate",
		map[string]any{"model": model, "prompt": "", "stream": false, "keep_alive": 0})
}

// Delete removes model from Ollama's store.
func (o *ollamaClient) Delete(ctx context.Context, model string) error {
	return o.send(ctx, http.MethodDelete, "/api/delete", map[string]any{"model": model, "name": model})
}

// getJSON fetches path and decodes a 200 answer into out; it returns the
// status, or an *engine.Error of KindUnavailable when Ollama cannot be
// reached.
func (o *ollamaClient) getJSON(ctx context.Context, path string, out any) (int, error) {
	status, body, err := o.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return 0, err
	}
	if status == http.StatusOK && json.Unmarshal(body, out) != nil {
		return status, &engine.Error{Kind: engine.KindEngine, Engine: "ollama", Status: status,
			Err: fmt.Errorf("%w: %s", engine.ErrMalformed, path)}
	}
	return status, nil
}

// send posts body as JSON and fails with ErrOllama and Ollama's own message
// unless the answer is 2xx.
func (o *ollamaClient) send(ctx context.Context, method, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	status, resp, err := o.do(ctx, method, path, b)
	if err != nil {
		return err
	}
	if status/100 == 2 {
		return nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(resp, &e) == nil && e.Error != "" {
		return fmt.Errorf("%w: %s: %s", ErrOllama, path, e.Error)
	}
	return fmt.Errorf("%w: %s: status %d", ErrOllama, path, status)
}

func (o *ollamaClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, o.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if o.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.apiKey)
	}
	resp, err := o.hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return 0, nil, cerr
		}
		return 0, nil, &engine.Error{Kind: engine.KindUnavailable, Engine: "ollama", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxOllamaBody))
	if err != nil {
		return 0, nil, &engine.Error{Kind: engine.KindUnavailable, Engine: "ollama", Status: resp.StatusCode, Err: err}
	}
	return resp.StatusCode, data, nil
}

func newOllama(baseURL, apiKey string, hc *http.Client) *ollamaClient {
	return &ollamaClient{base: strings.TrimRight(baseURL, "/"), hc: hc, apiKey: apiKey}
}
