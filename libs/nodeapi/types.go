package nodeapi

import "time"

// Engines a pool may name (api.md §4).
const (
	EngineLlamaCPP = "llamacpp"
	EngineVLLM     = "vllm"
	EngineTGI      = "tgi"
	EngineOllama   = "ollama"
	EngineOpenAI   = "openai"
)

// ValidEngine reports whether engine is one of the engines a pool may name.
func ValidEngine(engine string) bool {
	switch engine {
	case EngineLlamaCPP, EngineVLLM, EngineTGI, EngineOllama, EngineOpenAI:
		return true
	}
	return false
}

// PoolSpec is a pool as registered: an engine process serving models with a
// number of parallel slots.
type PoolSpec struct {
	PoolID     string
	Engine     string
	URL        string   // base URL of the engine
	Models     []string // models the pool serves; may be empty when the engine loads on demand
	SlotsTotal int      // parallel slots, at least 1
	CtxMax     int      // context window in tokens, 0 when unknown
	DeviceMask string   // GPU indexes as "0,1", empty when unspecified
}

// GPU is one accelerator of a node.
type GPU struct {
	Index          int
	Name           string
	VRAMTotalBytes int64
}

// NodeSpec is a node as registered. A static node holds the pools declared in
// the daemon's own configuration (home profile); it is always online.
type NodeSpec struct {
	NodeID    string
	MachineID string
	Address   string // base URL of the node agent's control API, may be empty
	Version   string
	GPUs      []GPU
	CPUCores  int
	Pools     []PoolSpec
	Static    bool
}

// PoolReport is the live state of one pool, from a heartbeat or a probe.
type PoolReport struct {
	PoolID          string
	Ready           bool
	Draining        bool
	SlotsFree       int // -1 when the engine does not report it
	SlotsTotal      int // 0 when not reported
	VRAMFreeBytes   int64
	ModelsAvailable []string
	EngineVersion   string
	LastError       string
}

// PoolView is a snapshot of one pool with the state of its node.
//
// Slices in a view are shared with the registry and with other views: the
// registry never modifies them after storing them, and callers must not
// modify them either.
type PoolView struct {
	PoolSpec
	NodeID    string
	Online    bool       // the owning node is online
	Report    PoolReport // the last report; zero until Reported
	Reported  bool       // a report arrived since the pool was registered
	UpdatedAt time.Time  // when the pool was registered or last reported
	Control   Control    // the orchestrator's own hold on the pool
}

// NodeView is a snapshot of one node and its pools, sorted by PoolID. The
// sharing rule of PoolView applies to its slices too.
type NodeView struct {
	NodeSpec
	Online        bool
	LastHeartbeat time.Time // registration counts as a heartbeat
	RegisteredAt  time.Time // time of the latest registration
	Pools         []PoolView
}
