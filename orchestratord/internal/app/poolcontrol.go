package app

import (
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/orchestratord/internal/config"
	"github.com/orchestratord/orchestratord/orchestratord/internal/pools"
	"github.com/orchestratord/orchestratord/orchestratord/internal/tasks"
)

// newPoolService wires pool control: the registry, the task service, and a
// client of the node agents' control APIs that sends the node token (the
// API token when no node token is set, as nodes use then).
func newPoolService(cfg config.Config, reg *nodeapi.Registry, svc *tasks.Service, log zerolog.Logger) (*pools.Service, error) {
	token := cfg.NodeToken
	if token == "" {
		token = cfg.APIToken
	}
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}}
	return pools.New(pools.Options{}, pools.Deps{
		Registry: reg, Tasks: svc, Agents: pools.NewHTTPAgents(hc, token),
		Mapper: pools.Mapper(poolMapper(svc.Leases)), Log: log.With().Str("component", "pools").Logger(),
	})
}
