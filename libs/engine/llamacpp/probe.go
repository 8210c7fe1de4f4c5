package llamacpp

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// slot is the part of a /slots entry the probe reads.
type slot struct {
	NCtx         int  `json:"n_ctx"`
	IsProcessing bool `json:"is_processing"`
}

// props is the part of /props the probe reads.
type props struct {
	TotalSlots int `json:"total_slots"`
	Defaults   struct {
		NCtx int `json:"n_ctx"`
	} `json:"default_generation_settings"`
	ModelAlias string `json:"model_alias"`
	ModelPath  string `json:"model_path"`
	BuildInfo  string `json:"build_info"`
}

// Probe reads /health, /slots and /props; see engine.Client. A loading
// server (503 on /health) is Live and not Ready, and is asked nothing else.
// When /slots is disabled (--no-slots: 501, or 404) the slot count comes
// from /props total_slots and the idle slots stay unknown.
func (c *Client) Probe(ctx context.Context) (engine.Health, error) {
	h := engine.Health{SlotsFree: -1}
	status, _, err := c.stream.Get(ctx, c.base+"/health")
	if err != nil {
		return h, err
	}
	h.Live = true
	h.Ready = status == http.StatusOK
	if !h.Ready {
		return h, nil
	}

	status, body, err := c.stream.Get(ctx, c.base+"/slots")
	if err != nil {
		return h, err
	}
	var slots []slot
	if status == http.StatusOK && json.Unmarshal(body, &slots) == nil && len(slots) > 0 {
		h.SlotsTotal, h.SlotsFree, h.CtxMax = len(slots), 0, slots[0].NCtx
		for _, s := range slots {
			if !s.IsProcessing {
				h.SlotsFree++
			}
		}
	}

	status, body, err = c.stream.Get(ctx, c.base+"/props")
	if err != nil {
		return h, err
	}
	var p props
	if status != http.StatusOK || json.Unmarshal(body, &p) != nil {
		return h, nil
	}
	if h.SlotsTotal == 0 {
		h.SlotsTotal = p.TotalSlots
	}
	if p.Defaults.NCtx > 0 {
		h.CtxMax = p.Defaults.NCtx
	}
	h.Version = p.BuildInfo
	switch {
	case p.ModelAlias != "":
		h.Models = []string{p.ModelAlias}
	case p.ModelPath != "":
		h.Models = []string{p.ModelPath}
	}
	return h, nil
}
