package echohttp

import (
	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// NodeSpecFromWire maps a registration body to the registry's NodeSpec. It
// validates nothing: nodeapi.Registry.Register does.
func NodeSpecFromWire(r *wire.NodeRegisterRequest) nodeapi.NodeSpec {
	n := nodeapi.NodeSpec{
		NodeID:    r.NodeID,
		MachineID: r.MachineID,
		Address:   r.Address,
		Version:   r.Version,
		CPUCores:  r.Capabilities.CPUCores,
	}
	if len(r.Capabilities.GPUs) > 0 {
		n.GPUs = make([]nodeapi.GPU, len(r.Capabilities.GPUs))
		for i, g := range r.Capabilities.GPUs {
			n.GPUs[i] = nodeapi.GPU{Index: g.Index, Name: g.Name, VRAMTotalBytes: g.VRAMTotalBytes}
		}
	}
	if len(r.Pools) > 0 {
		n.Pools = make([]nodeapi.PoolSpec, len(r.Pools))
		for i, p := range r.Pools {
			n.Pools[i] = nodeapi.PoolSpec{
				PoolID:     p.PoolID,
				Engine:     string(p.Engine),
				URL:        p.URL,
				Models:     p.Models,
				SlotsTotal: p.SlotsTotal,
				CtxMax:     p.CtxMax,
				DeviceMask: p.DeviceMask,
			}
		}
	}
	return n
}

// ReportsFromWire maps the pools of a heartbeat to registry reports: an
// absent slots_free is -1 (unknown), an absent vram_free_bytes is 0.
func ReportsFromWire(pools []wire.PoolHeartbeat) []nodeapi.PoolReport {
	if len(pools) == 0 {
		return nil
	}
	out := make([]nodeapi.PoolReport, len(pools))
	for i := range pools {
		p := &pools[i]
		r := nodeapi.PoolReport{
			PoolID:          p.PoolID,
			Ready:           p.Ready,
			Draining:        p.Draining,
			SlotsFree:       -1,
			SlotsTotal:      p.SlotsTotal,
			ModelsAvailable: p.ModelsAvailable,
			EngineVersion:   p.EngineVersion,
			LastError:       p.LastError,
		}
		if p.SlotsFree != nil {
			r.SlotsFree = *p.SlotsFree
		}
		if p.VRAMFreeBytes != nil {
			r.VRAMFreeBytes = *p.VRAMFreeBytes
		}
		out[i] = r
	}
	return out
}

// NodeToWire renders a node for GET /nodes and GET /nodes/:id, each pool
// through mapPool (PoolToWire with no leases when nil).
func NodeToWire(v *nodeapi.NodeView, mapPool PoolMapper) wire.Node {
	n := wire.Node{
		NodeID:          v.NodeID,
		MachineID:       v.MachineID,
		Address:         v.Address,
		Version:         v.Version,
		Status:          wire.NodeOffline,
		LastHeartbeatMs: v.LastHeartbeat.UnixMilli(),
		Capabilities:    &wire.NodeCapabilities{CPUCores: v.CPUCores},
	}
	if v.Online {
		n.Status = wire.NodeOnline
	}
	if len(v.GPUs) > 0 {
		n.Capabilities.GPUs = make([]wire.GPU, len(v.GPUs))
		for i, g := range v.GPUs {
			n.Capabilities.GPUs[i] = wire.GPU{Index: g.Index, Name: g.Name, VRAMTotalBytes: g.VRAMTotalBytes}
		}
	}
	if len(v.Pools) > 0 {
		n.Pools = make([]wire.Pool, len(v.Pools))
		for i := range v.Pools {
			if mapPool == nil {
				n.Pools[i] = PoolToWire(v.Pools[i], 0)
				continue
			}
			n.Pools[i] = mapPool(v.Pools[i])
		}
	}
	return n
}

// PoolToWire renders a pool of the registry as an item of GET /v2/pools and
// of a node's pools, given the slots the orchestrator has leased on it:
//
//   - live: the owning node is online (its heartbeats are current);
//   - ready: live, the last report said ready (false until one arrives) and
//     no reload of the orchestrator's runs;
//   - draining: the last report said so, or the orchestrator holds the pool
//     (an operator's drain, a reload); last_error: the orchestrator's
//     control failure and/or the reported one (PoolView.LastError);
//   - engine_version: from the last report;
//   - models: the models the last report advertised, else the registered ones;
//   - slots_total: the registered count; slots_free: slots_total minus the
//     leases, bounded by the reported slots_free when the engine reports one.
//
// node_id is the owning node; a caller rendering a static pool clears it.
func PoolToWire(v nodeapi.PoolView, activeLeases int) wire.Pool {
	activeLeases = max(activeLeases, 0)
	free := max(v.SlotsTotal-activeLeases, 0)
	if v.Reported && v.Report.SlotsFree >= 0 {
		free = min(free, v.Report.SlotsFree)
	}
	models := v.Models
	if v.Reported && len(v.Report.ModelsAvailable) > 0 {
		models = v.Report.ModelsAvailable
	}
	return wire.Pool{
		PoolID:        v.PoolID,
		NodeID:        v.NodeID,
		Engine:        wire.Engine(v.Engine),
		URL:           v.URL,
		Models:        models,
		SlotsTotal:    v.SlotsTotal,
		SlotsFree:     free,
		ActiveLeases:  activeLeases,
		CtxMax:        v.CtxMax,
		DeviceMask:    v.DeviceMask,
		EngineVersion: v.Report.EngineVersion,
		Live:          v.Online,
		Ready:         v.Online && v.Reported && v.Report.Ready && !v.Control.Reloading,
		Draining:      v.Draining(),
		LastError:     v.LastError(),
	}
}
