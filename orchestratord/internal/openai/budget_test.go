package openai

import (
	"context"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

// api.md §9: /v1 requests carry the budget headers as on /v2; the reply
// holds the session's budgets left at admission, streamed or not.
func TestReplyCarriesTheSessionBudget(t *testing.T) {
	tokens := int64(42)
	tests := []struct {
		name   string
		stream bool
	}{
		{"non-streamed", false},
		{"streamed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			ft := newFakeTasks()
			ft.budget = wire.Budget{TokensRemaining: &tokens}
			s := newService(t, ft)
			req := decodeChat(t, `{"model":"tiny","user":"sess-1","messages":[{"role":"user","content":"hi"}]}`)
			req.Stream = tt.stream
			done := make(chan replyErr, 1)
			go func() {
				r, err := s.ChatCompletions(context.Background(), req, "hdr-session")
				done <- replyErr{r, err}
			}()
			waitFor(t, "submission", func() bool { return ft.log("task-a") != nil })
			end(ft.log("task-a"), wire.FinishStop, 0)
			res := <-done
			is.NoErr(res.err)                                   // answered
			is.Equal(*res.reply.Budget.TokensRemaining, tokens) // the admission's budget
			is.Equal(ft.Specs()[0].SessionID, "sess-1")         // user wins over X-Session-Id
		})
	}
}
