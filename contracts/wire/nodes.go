package wire

// NodeStatus is whether a node's heartbeats are current.
type NodeStatus string

// Node statuses.
const (
	NodeOnline  NodeStatus = "online"
	NodeOffline NodeStatus = "offline"
)

// NodeStatuses returns every node status.
func NodeStatuses() []NodeStatus { return []NodeStatus{NodeOnline, NodeOffline} }

// Valid reports whether s is a node status of the contract.
func (s NodeStatus) Valid() bool { return s == NodeOnline || s == NodeOffline }

// NodeRegisterRequest is the body of POST /v2/nodes/register. Address is the
// base URL of the node agent's control API and may be empty. Re-registering
// a node replaces its pools.
type NodeRegisterRequest struct {
	NodeID       string             `json:"node_id"`
	MachineID    string             `json:"machine_id,omitempty"`
	Address      string             `json:"address"`
	Version      string             `json:"version,omitempty"`
	Capabilities NodeCapabilities   `json:"capabilities"`
	Pools        []PoolRegistration `json:"pools,omitempty"`
}

// NodeCapabilities describes a node's hardware.
type NodeCapabilities struct {
	GPUs     []GPU `json:"gpus,omitempty"`
	CPUCores int   `json:"cpu_cores"`
}

// GPU is one device of a node.
type GPU struct {
	Index          int    `json:"index"`
	Name           string `json:"name"`
	VRAMTotalBytes int64  `json:"vram_total_bytes"`
}

// PoolRegistration declares one pool of a registering node (and, in the home
// profile, one static pool of the config file).
type PoolRegistration struct {
	PoolID     string   `json:"pool_id"`
	Engine     Engine   `json:"engine"`
	URL        string   `json:"url"`
	Models     []string `json:"models,omitempty"`
	SlotsTotal int      `json:"slots_total"`
	CtxMax     int      `json:"ctx_max"`
	DeviceMask string   `json:"device_mask,omitempty"`
}

// NodeRegisterResponse is the 200 body of POST /v2/nodes/register.
type NodeRegisterResponse struct {
	Success             bool   `json:"success"`
	Message             string `json:"message,omitempty"`
	NodeID              string `json:"node_id"`
	HeartbeatIntervalMs int64  `json:"heartbeat_interval_ms"`
}

// HeartbeatRequest is the body of POST /v2/nodes/{id}/heartbeat.
type HeartbeatRequest struct {
	TimestampMs int64           `json:"timestamp_ms"`
	Pools       []PoolHeartbeat `json:"pools,omitempty"`
}

// PoolHeartbeat is the live state of one pool. SlotsFree and VRAMFreeBytes
// are nil when the engine does not report them; LastError carries the outcome
// of a failed drain, reload or purge.
type PoolHeartbeat struct {
	PoolID          string   `json:"pool_id"`
	Ready           bool     `json:"ready"`
	Draining        bool     `json:"draining"`
	SlotsFree       *int     `json:"slots_free,omitempty"`
	SlotsTotal      int      `json:"slots_total"`
	VRAMFreeBytes   *int64   `json:"vram_free_bytes,omitempty"`
	ModelsAvailable []string `json:"models_available,omitempty"`
	EngineVersion   string   `json:"engine_version,omitempty"`
	LastError       string   `json:"last_error,omitempty"`
}

// HeartbeatResponse is the 200 body of POST /v2/nodes/{id}/heartbeat.
type HeartbeatResponse struct {
	Success         bool  `json:"success"`
	NextHeartbeatMs int64 `json:"next_heartbeat_ms"`
}

// Node is an item of GET /v2/nodes and the body of GET /v2/nodes/{id}.
type Node struct {
	NodeID          string            `json:"node_id"`
	MachineID       string            `json:"machine_id,omitempty"`
	Address         string            `json:"address"`
	Version         string            `json:"version,omitempty"`
	Status          NodeStatus        `json:"status"`
	LastHeartbeatMs int64             `json:"last_heartbeat_ms"`
	Capabilities    *NodeCapabilities `json:"capabilities,omitempty"`
	Pools           []Pool            `json:"pools,omitempty"`
}
