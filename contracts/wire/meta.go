package wire

// APIVersion is the version of this contract.
const APIVersion = "2.0.0"

// Capabilities is the body of GET /v2/meta/capabilities, built from the pools
// registered now.
type Capabilities struct {
	APIVersion string             `json:"api_version"`
	Engines    []EngineCapability `json:"engines,omitempty"`
}

// EngineCapability summarises the registered pools of one engine.
// Concurrency is the total of their slots; RateLimits maps a limit name (such
// as "requests_per_s") to its value and is omitted when there is none.
type EngineCapability struct {
	Engine             Engine             `json:"engine"`
	CtxMax             int                `json:"ctx_max"`
	SupportedWorkloads []Workload         `json:"supported_workloads,omitempty"`
	Concurrency        int                `json:"concurrency"`
	Features           []string           `json:"features,omitempty"`
	RateLimits         map[string]float64 `json:"rate_limits,omitempty"`
}

// Version is the body of GET /v2/meta/version.
type Version struct {
	APIVersion  string `json:"api_version"`
	BuildCommit string `json:"build_commit"`
	BuildTime   string `json:"build_time"`
	GoVersion   string `json:"go_version"`
}
