package openai

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/problem"
)

const chatBody = `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`

// answer runs a non-streamed request in the background and returns its
// outcome on a channel.
func answer(s *Service, ctx context.Context, req wire.ChatCompletionRequest) <-chan replyErr {
	out := make(chan replyErr, 1)
	go func() {
		r, err := s.ChatCompletions(ctx, req, "")
		out <- replyErr{r, err}
	}()
	return out
}

type replyErr struct {
	reply Reply
	err   error
}

func TestNonStreamedChatWaitsForTheEnd(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	done := answer(s, context.Background(), decodeChat(t, chatBody))
	waitFor(t, "submission", func() bool { return ft.log("task-a") != nil })
	l := ft.log("task-a")
	_, _ = l.AppendTokens([]string{"Hel", "lo \"q\"", "\n", "✓\u2028"})
	end(l, wire.FinishLength, 0)
	res := <-done
	is.NoErr(res.err) // answered
	c, ok := res.reply.Body.(wire.ChatCompletion)
	is.True(ok)                                                         // a chat completion
	is.Equal(c.ID, "chatcmpl-task-a")                                   // id carries the task id
	is.Equal(res.reply.TaskID, "task-a")                                // the task, for the access log
	is.Equal(c.Object, wire.ObjectChatCompletion)                       // object
	is.Equal(c.Created, fixedNow.Unix())                                // admission time
	is.Equal(c.Model, "tiny")                                           // requested model
	is.Equal(len(c.Choices), 1)                                         // one choice
	is.Equal(c.Choices[0].Message.Role, wire.RoleAssistant)             // assistant
	is.Equal(c.Choices[0].Message.Content, "Hello \"q\"\n✓\u2028")      // every token, unescaped
	is.Equal(c.Choices[0].FinishReason, "length")                       // hit the limit
	is.Equal(*c.Usage, wire.Usage{CompletionTokens: 4, TotalTokens: 4}) // no prompt count reported: 0
}

func TestNonStreamedCompletion(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	var req wire.CompletionRequest
	is.NoErr(json.Unmarshal([]byte(`{"model":"tiny","prompt":"p"}`), &req))
	done := make(chan replyErr, 1)
	go func() {
		r, err := s.Completions(context.Background(), req, "")
		done <- replyErr{r, err}
	}()
	waitFor(t, "submission", func() bool { return ft.log("task-a") != nil })
	l := ft.log("task-a")
	_, _ = l.AppendTokens([]string{"a", "b"})
	ft.setPrompt("task-a", 5)  // the engine counted 5 prompt tokens
	end(l, wire.FinishStop, 7) // and 7 generated
	res := <-done
	is.NoErr(res.err) // answered
	c := res.reply.Body.(wire.Completion)
	is.Equal(c.ID, "cmpl-task-a")                 // id
	is.Equal(c.Object, wire.ObjectTextCompletion) // object
	is.Equal(c.Choices[0].Text, "ab")             // text
	is.Equal(*c.Choices[0].FinishReason, "stop")  // stop
	is.Equal(c.Usage.CompletionTokens, 7)         // tokens_out of the end frame
	is.Equal(c.Usage.PromptTokens, 5)             // the engine's prompt count
	is.Equal(c.Usage.TotalTokens, 12)             // both
}

func TestNonStreamedErrorFrameIsAnHTTPError(t *testing.T) {
	tests := []struct {
		code   wire.ErrorCode
		status int
	}{
		{wire.CodeEngineError, http.StatusBadGateway},
		{wire.CodeWorkerReset, http.StatusBadGateway},
		{wire.CodeDecodeTimeout, http.StatusGatewayTimeout},
		{wire.CodePoolUnavailable, http.StatusServiceUnavailable},
		{wire.CodeQueueFullDropLRU, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			is := is.New(t)
			ft := newFakeTasks()
			s := newService(t, ft)
			done := answer(s, context.Background(), decodeChat(t, chatBody))
			waitFor(t, "submission", func() bool { return ft.log("task-a") != nil })
			fail(ft.log("task-a"), tt.code, "it broke")
			res := <-done
			p, ok := problem.As(res.err)
			is.True(ok)                      // a problem error
			is.Equal(p.Code, tt.code)        // the frame's code
			is.Equal(p.Status(), tt.status)  // its status
			is.Equal(p.Message, "it broke")  // the frame's message
			is.Equal(len(ft.Abandoned()), 0) // nothing to cancel
		})
	}
}

func TestNonStreamedClientGoneCancelsTheTask(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	ctx, cancel := context.WithCancel(context.Background())
	done := answer(s, ctx, decodeChat(t, chatBody))
	waitFor(t, "submission", func() bool { return ft.log("task-a") != nil })
	_, _ = ft.log("task-a").AppendTokens([]string{"a"})
	cancel()
	res := <-done
	is.True(errors.Is(res.err, context.Canceled)) // the request's context error
	is.Equal(ft.Abandoned(), []string{"task-a"})  // the task is canceled as abandoned
}

func TestModelsListsCatalogAndPools(t *testing.T) {
	is := is.New(t)
	s, err := New(newFakeTasks(), func() []string { return []string{"tiny", "org/big", "tiny", ""} },
		WithCatalogModels(func() []string { return []string{"cat-1", "org/big"} }),
		WithClock(func() time.Time { return fixedNow }))
	is.NoErr(err) // built
	list := s.Models(context.Background())
	is.Equal(list.Object, wire.ObjectList) // a list
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
		is.Equal(m.Object, wire.ObjectModel) // model objects
		is.Equal(m.OwnedBy, "orchestratord") // owned by
		is.Equal(m.Created, fixedNow.Unix()) // the daemon's start
	}
	is.Equal(ids, []string{"cat-1", "org/big", "tiny"}) // deduplicated, sorted
}

func TestModelsEmpty(t *testing.T) {
	is := is.New(t)
	s, err := New(newFakeTasks(), func() []string { return nil })
	is.NoErr(err) // built
	raw, err := json.Marshal(s.Models(context.Background()))
	is.NoErr(err)                                        // encodes
	is.Equal(string(raw), `{"object":"list","data":[]}`) // data is an array
}

func TestNewRequiresItsCollaborators(t *testing.T) {
	is := is.New(t)
	_, err := New(nil, func() []string { return nil })
	is.True(err != nil) // no task service
	_, err = New(newFakeTasks(), nil)
	is.True(err != nil) // no pool models
	_, err = New(newFakeTasks(), func() []string { return nil }, WithTokenLimit(0))
	is.True(err != nil) // no token limit
}
