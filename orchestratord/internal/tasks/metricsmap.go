package tasks

import (
	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/admission"
	"github.com/orchestratord/orchestratord/libs/metrics"
)

// Label values for the metrics library's closed sets.
const (
	cancelClient   = metrics.CancelClient
	cancelShutdown = metrics.CancelShutdown
	cancelDeadline = metrics.CancelDeadline
	cancelEvicted  = metrics.CancelEvicted
	// cancelDisconnect: an OpenAI-compatible client went away.
	cancelDisconnect = metrics.CancelDisconnect
)

func metricsEngine(e string) metrics.Engine { return metrics.Engine(e) }

func metricsPriority(p admission.Priority) metrics.Priority {
	if p == admission.Batch {
		return metrics.PriorityBatch
	}
	return metrics.PriorityInteractive
}

func metricsPolicy(p admission.Policy) metrics.Policy {
	if p == admission.DropLRU {
		return metrics.PolicyDropLRU
	}
	return metrics.PolicyReject
}

func policyLabel(p wire.PolicyLabel) metrics.Policy { return metrics.Policy(p) }

func rejectReason(code wire.ErrorCode) metrics.RejectReason {
	switch code {
	case wire.CodeAdmissionReject:
		return metrics.RejectAdmission
	case wire.CodeQueueFullDropLRU:
		return metrics.RejectQueueFullDropLRU
	case wire.CodeBudgetExhausted:
		return metrics.RejectBudgetExhausted
	case wire.CodePoolUnavailable:
		return metrics.RejectPoolUnavailable
	case wire.CodeDeadlineUnmet:
		return metrics.RejectDeadlineUnmet
	case wire.CodeUntrustedArtifact:
		return metrics.RejectUntrustedArtifact
	default:
		return metrics.RejectInvalidParams
	}
}
