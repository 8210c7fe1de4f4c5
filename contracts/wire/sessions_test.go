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

func TestBudgetHeadersReplaceAndStayApart(t *testing.T) {
	is := is.New(t)
	tokens, ms := int64(12), int64(7)
	h := http.Header{"X-Budget-Tokens-Remaining": {"1", "2"}}
	wire.Budget{TokensRemaining: &tokens, TimeRemainingMs: &ms}.SetHeaders(h)
	is.Equal(h.Values(wire.HeaderBudgetTokensRemaining), []string{"12"}) // replaces what was there
	h.Add(wire.HeaderBudgetTokensRemaining, "x")
	is.Equal(h.Values(wire.HeaderBudgetTokensRemaining), []string{"12", "x"}) // adding to one value
	is.Equal(h.Values(wire.HeaderBudgetTimeRemainingMs), []string{"7"})       // leaves the others alone
}

func TestHeaderNamesAreCanonical(t *testing.T) {
	for _, name := range []string{
		wire.HeaderBudgetTokensRemaining, wire.HeaderBudgetTimeRemainingMs, wire.HeaderBudgetCostRemaining,
		wire.HeaderCorrelationID, wire.HeaderBackoffMs, wire.HeaderRetryAfter, wire.HeaderTrustPolicy, wire.HeaderSessionID,
	} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(http.CanonicalHeaderKey(name), name) // may be assigned to an http.Header directly
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
