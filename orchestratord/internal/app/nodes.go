package app

import (
	"context"
	"errors"
	"time"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/metrics"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
	"github.com/orchestratord/orchestratord/libs/nodeapi/echohttp"
)

// nodeEvents turns node route events into metrics (api.md §8).
type nodeEvents struct {
	m   *metrics.Metrics
	reg *nodeapi.Registry
}

var _ echohttp.Observer = nodeEvents{}

func (n nodeEvents) NodeRegistered(replaced bool, err error) {
	switch {
	case err != nil:
		n.m.NodeRegistration(metrics.NodeError)
	case replaced:
		n.m.NodeRegistration(metrics.NodeReplaced)
	default:
		n.m.NodeRegistration(metrics.NodeOK)
	}
	n.m.SetNodesOnline(n.reg.Online())
}

func (n nodeEvents) NodeHeartbeat(err error) {
	switch {
	case err == nil:
		n.m.NodeHeartbeat(metrics.NodeOK)
	case errors.Is(err, nodeapi.ErrUnknownNode):
		n.m.NodeHeartbeat(metrics.NodeUnknown)
	default:
		n.m.NodeHeartbeat(metrics.NodeError)
	}
	n.m.SetNodesOnline(n.reg.Online())
}

func (n nodeEvents) NodeRemoved(string) { n.m.SetNodesOnline(n.reg.Online()) }

// poolMapper renders a pool for the node routes with the service's leases;
// static pools have no node id on the wire.
func poolMapper(leases func(poolID string) int) echohttp.PoolMapper {
	return func(v nodeapi.PoolView) wire.Pool {
		p := echohttp.PoolToWire(v, leases(v.PoolID))
		if v.NodeID == staticNodeID {
			p.NodeID = ""
		}
		return p
	}
}

// expireNodes marks nodes that missed their heartbeats offline until ctx is
// done; their pools leave placement at once (the registry signals the
// dispatcher).
func expireNodes(ctx context.Context, reg *nodeapi.Registry, m *metrics.Metrics, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if len(reg.Expire()) > 0 {
				m.SetNodesOnline(reg.Online())
			}
		}
	}
}
