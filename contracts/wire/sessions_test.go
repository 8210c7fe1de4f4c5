package wire_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

func TestBudgetHeaders(t *testing.T) {
	tokens, ms, cost := int64(12), int64(0), 0.000994
	tests := []struct {
		name   string
		budget wire.Budget
		want   http.Header
	}{
		{"unlimited sends nothing", wire.Budget{}, http.Header{}},
		{"tokens only", wire.Budget{TokensRemaining: &tokens}, http.Header{"X-Budget-Tokens-Remaining": {"12"}}},
		{"all three", wire.Budget{TokensRemaining: &tokens, TimeRemainingMs: &ms, CostRemaining: &cost}, http.Header{
			"X-Budget-Tokens-Remaining": {"12"}, "X-Budget-Time-Remaining-Ms": {"0"}, "X-Budget-Cost-Remaining": {"0.000994"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			h := http.Header{}
			tt.budget.SetHeaders(h)
			is.Equal(h, tt.want) // only the limited budgets, in plain decimal
		})
	}
}

func TestAdmissionBudgetNotInBody(t *testing.T) {
	is := is.New(t)
	tokens := int64(5)
	b, err := json.Marshal(wire.AdmissionResponse{TaskID: "t", Streams: wire.TaskStreamURLs("t"), Budget: wire.Budget{TokensRemaining: &tokens}})
	is.NoErr(err) // encodes
	var m map[string]any
	is.NoErr(json.Unmarshal(b, &m)) // decodes
	_, found := m["Budget"]
	is.True(!found)     // the budget travels in headers only
	is.Equal(len(m), 5) // task_id, queue_position, predicted_start_ms, backoff_ms, streams
}
