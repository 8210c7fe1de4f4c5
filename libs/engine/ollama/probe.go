package ollama

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// modelList is the part of /api/tags and /api/ps the probe reads.
type modelList struct {
	Models []struct {
		Name          string `json:"name"`
		Model         string `json:"model"`
		ContextLength int    `json:"context_length"` // /api/ps only
	} `json:"models"`
}

// ModelName is the name a model Ollama lists goes by in orchestratord: the
// listed name without the default tag ":latest" ("tiny:latest" → "tiny";
// "org/big:q4" stays). Ollama takes either for the same model, and pools,
// tasks and the catalog must agree on one spelling to be matched.
func ModelName(listed string) string {
	if bare, ok := strings.CutSuffix(listed, ":latest"); ok && bare != "" {
		return bare
	}
	return listed
}

// Probe reads /api/version, /api/tags and /api/ps; see engine.Client and the
// package documentation. Ollama is Ready when it lists its models; it loads
// a model on the first request for it.
func (c *Client) Probe(ctx context.Context) (engine.Health, error) {
	h := engine.Health{SlotsFree: -1}
	status, body, err := c.stream.Get(ctx, c.base+"/api/version")
	if err != nil {
		return h, err
	}
	h.Live = true
	var v struct {
		Version string `json:"version"`
	}
	if status == http.StatusOK && json.Unmarshal(body, &v) == nil {
		h.Version = v.Version
	}

	status, body, err = c.stream.Get(ctx, c.base+"/api/tags")
	if err != nil {
		return h, err
	}
	var tags modelList
	if status != http.StatusOK || json.Unmarshal(body, &tags) != nil {
		return h, nil
	}
	status, body, err = c.stream.Get(ctx, c.base+"/api/ps")
	if err != nil {
		return h, err
	}
	var ps modelList
	if status != http.StatusOK || json.Unmarshal(body, &ps) != nil {
		return h, nil
	}
	h.Ready = true
	seen := make(map[string]bool)
	add := func(name string) {
		if name != "" && !seen[name] {
			seen[name] = true
			h.Models = append(h.Models, name)
		}
	}
	for _, list := range []*modelList{&ps, &tags} {
		for _, m := range list.Models {
			name := m.Name
			if name == "" {
				name = m.Model
			}
			add(ModelName(name))
		}
	}
	for _, m := range ps.Models {
		h.CtxMax = max(h.CtxMax, m.ContextLength)
	}
	return h, nil
}
