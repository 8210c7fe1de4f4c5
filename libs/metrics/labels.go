package metrics

// Other is the label value recorded for a value outside a closed label set.
const Other = "other"

// Engine is the engine label. EngineAny is the requested engine of a task
// that did not name one (orchd_tasks_enqueued_total only).
type Engine string

// Engines.
const (
	EngineLlamaCPP Engine = "llamacpp"
	EngineVLLM     Engine = "vllm"
	EngineTGI      Engine = "tgi"
	EngineOllama   Engine = "ollama"
	EngineOpenAI   Engine = "openai"
	EngineAny      Engine = "any"
	numEngines            = 6
)

func (e Engine) index() int {
	switch e {
	case EngineLlamaCPP:
		return 0
	case EngineVLLM:
		return 1
	case EngineTGI:
		return 2
	case EngineOllama:
		return 3
	case EngineOpenAI:
		return 4
	case EngineAny:
		return 5
	}
	return -1
}

func engineAt(i int) Engine {
	return [numEngines]Engine{EngineLlamaCPP, EngineVLLM, EngineTGI, EngineOllama, EngineOpenAI, EngineAny}[i]
}

// Priority is the priority label.
type Priority string

// Priorities.
const (
	PriorityInteractive Priority = "interactive"
	PriorityBatch       Priority = "batch"
	numPriorities                = 2
)

func (p Priority) index() int {
	switch p {
	case PriorityInteractive:
		return 0
	case PriorityBatch:
		return 1
	}
	return -1
}

func priorityAt(i int) Priority {
	return [numPriorities]Priority{PriorityInteractive, PriorityBatch}[i]
}

// Outcome is how a started task ended.
type Outcome string

// Outcomes.
const (
	OutcomeCompleted Outcome = "completed"
	OutcomeCanceled  Outcome = "canceled"
	OutcomeFailed    Outcome = "failed"
	numOutcomes              = 3
)

func (o Outcome) index() int {
	switch o {
	case OutcomeCompleted:
		return 0
	case OutcomeCanceled:
		return 1
	case OutcomeFailed:
		return 2
	}
	return -1
}

func outcomeAt(i int) Outcome {
	return [numOutcomes]Outcome{OutcomeCompleted, OutcomeCanceled, OutcomeFailed}[i]
}

// CancelReason is why a task was canceled.
type CancelReason string

// Cancel reasons.
const (
	CancelClient     CancelReason = "client"
	CancelDrain      CancelReason = "drain"
	CancelShutdown   CancelReason = "shutdown"
	CancelDeadline   CancelReason = "deadline"
	CancelDisconnect CancelReason = "disconnect"
	// CancelEvicted: a queued task dropped by the drop-lru policy.
	CancelEvicted CancelReason = "evicted"
	// CancelRetired: a running task of a catalog model that was retired,
	// ended when the retirement's deadline passed.
	CancelRetired    CancelReason = "retired"
	numCancelReasons              = 7
)

func (r CancelReason) index() int {
	switch r {
	case CancelClient:
		return 0
	case CancelDrain:
		return 1
	case CancelShutdown:
		return 2
	case CancelDeadline:
		return 3
	case CancelDisconnect:
		return 4
	case CancelEvicted:
		return 5
	case CancelRetired:
		return 6
	}
	return -1
}

func cancelReasonAt(i int) CancelReason {
	return [numCancelReasons]CancelReason{CancelClient, CancelDrain, CancelShutdown, CancelDeadline, CancelDisconnect, CancelEvicted, CancelRetired}[i]
}

// RejectReason is why a task was not admitted (the error code, lowercased).
type RejectReason string

// Reject reasons.
const (
	RejectAdmission         RejectReason = "admission_reject"
	RejectQueueFullDropLRU  RejectReason = "queue_full_drop_lru"
	RejectBudgetExhausted   RejectReason = "budget_exhausted"
	RejectPoolUnavailable   RejectReason = "pool_unavailable"
	RejectDeadlineUnmet     RejectReason = "deadline_unmet"
	RejectInvalidParams     RejectReason = "invalid_params"
	RejectUntrustedArtifact RejectReason = "untrusted_artifact"
	numRejectReasons                     = 7
)

func (r RejectReason) index() int {
	switch r {
	case RejectAdmission:
		return 0
	case RejectQueueFullDropLRU:
		return 1
	case RejectBudgetExhausted:
		return 2
	case RejectPoolUnavailable:
		return 3
	case RejectDeadlineUnmet:
		return 4
	case RejectInvalidParams:
		return 5
	case RejectUntrustedArtifact:
		return 6
	}
	return -1
}

func rejectReasonAt(i int) RejectReason {
	return [numRejectReasons]RejectReason{RejectAdmission, RejectQueueFullDropLRU, RejectBudgetExhausted,
		RejectPoolUnavailable, RejectDeadlineUnmet, RejectInvalidParams, RejectUntrustedArtifact}[i]
}

// Policy is the backpressure policy that produced a 429.
type Policy string

// Policies.
const (
	PolicyReject  Policy = "reject"
	PolicyDropLRU Policy = "drop-lru"
	PolicyBudget  Policy = "budget"
	numPolicies          = 3
)

func (p Policy) index() int {
	switch p {
	case PolicyReject:
		return 0
	case PolicyDropLRU:
		return 1
	case PolicyBudget:
		return 2
	}
	return -1
}

func policyAt(i int) Policy { return [numPolicies]Policy{PolicyReject, PolicyDropLRU, PolicyBudget}[i] }

// NodeOutcome is the result of a node registration or heartbeat.
type NodeOutcome string

// Node outcomes: NodeReplaced is a registration that replaced a registered
// node; NodeUnknown a heartbeat from a node that is not registered; NodeError
// a registration or heartbeat refused (bad body, invalid report, conflict).
const (
	NodeOK          NodeOutcome = "ok"
	NodeError       NodeOutcome = "error"
	NodeUnknown     NodeOutcome = "unknown_node"
	NodeReplaced    NodeOutcome = "replaced"
	numNodeOutcomes             = 4
)

func (o NodeOutcome) index() int {
	switch o {
	case NodeOK:
		return 0
	case NodeError:
		return 1
	case NodeUnknown:
		return 2
	case NodeReplaced:
		return 3
	}
	return -1
}

func nodeOutcomeAt(i int) NodeOutcome {
	return [numNodeOutcomes]NodeOutcome{NodeOK, NodeError, NodeUnknown, NodeReplaced}[i]
}

// ModelState is a catalog model's lifecycle state.
type ModelState string

// Model states.
const (
	ModelActive  ModelState = "Active"
	ModelRetired ModelState = "Retired"
)
