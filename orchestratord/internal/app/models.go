package app

import "github.com/orchestratord/orchestratord/libs/nodeapi"

// readyPoolModels lists the models of the pools that can take work now
// (online, reported ready, not draining) for GET /v1/models: the models a
// pool reports loaded when it reports any, else those it registered — the
// same view placement uses.
func readyPoolModels(reg *nodeapi.Registry) func() []string {
	return func() []string {
		var out []string
		for _, v := range reg.Pools() {
			if !v.Online || !v.Reported || !v.Report.Ready || v.Draining() {
				continue
			}
			if len(v.Report.ModelsAvailable) > 0 {
				out = append(out, v.Report.ModelsAvailable...)
			} else {
				out = append(out, v.Models...)
			}
		}
		return out
	}
}
