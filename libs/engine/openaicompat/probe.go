package openaicompat

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// models is the part of /v1/models the probe reads.
type models struct {
	Data []struct {
		ID          string `json:"id"`
		MaxModelLen int    `json:"max_model_len"` // vLLM
	} `json:"data"`
}

// versionDoc is vLLM's /version and the part of TGI's /info the probe reads.
type versionDoc struct {
	Version        string `json:"version"`
	MaxTotalTokens int    `json:"max_total_tokens"` // TGI
}

// Probe reads /health, /v1/models and the engine's version document; see
// engine.Client. A server without /health (404, 405, 501: Ollama, OpenAI) is
// Ready when /v1/models answers 200. Slots are unknown to this protocol.
func (c *Client) Probe(ctx context.Context) (engine.Health, error) {
	h := engine.Health{SlotsFree: -1}
	status, _, err := c.stream.Get(ctx, c.base+"/health")
	if err != nil {
		return h, err
	}
	h.Live = true
	noHealth := status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented
	if !noHealth && status != http.StatusOK {
		return h, nil
	}

	status, body, err := c.stream.Get(ctx, c.base+"/v1/models")
	if err != nil {
		return h, err
	}
	var list models
	modelsOK := status == http.StatusOK && json.Unmarshal(body, &list) == nil
	h.Ready = status == http.StatusOK || !noHealth
	if modelsOK {
		for _, m := range list.Data {
			h.Models = append(h.Models, m.ID)
		}
		if len(list.Data) > 0 {
			h.CtxMax = list.Data[0].MaxModelLen
		}
	}

	path := versionPath(c.cfg.Engine)
	if path == "" || !h.Ready {
		return h, nil
	}
	status, body, err = c.stream.Get(ctx, c.base+path)
	if err != nil {
		return h, err
	}
	var v versionDoc
	if status == http.StatusOK && json.Unmarshal(body, &v) == nil {
		h.Version = v.Version
		if h.CtxMax == 0 {
			h.CtxMax = v.MaxTotalTokens
		}
	}
	return h, nil
}

// versionPath is where an engine tells its version, "" when it has no such document.
func versionPath(engineName string) string {
	switch engineName {
	case "vllm":
		return "/version"
	case "tgi":
		return "/info"
	default:
		return ""
	}
}
