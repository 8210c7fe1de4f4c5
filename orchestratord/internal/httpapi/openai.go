package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/orchestratord/internal/openai"
)

// OpenAIService answers the OpenAI-compatible routes (api.md §9).
type OpenAIService interface {
	ChatCompletions(ctx context.Context, req wire.ChatCompletionRequest, sessionHeader string) (openai.Reply, error)
	Completions(ctx context.Context, req wire.CompletionRequest, sessionHeader string) (openai.Reply, error)
	Models(ctx context.Context) wire.ModelList
}

// headerSession names the session of an OpenAI request without `user`.
const headerSession = "X-Session-Id"

func (s *Server) chatCompletions(c echo.Context) error {
	var req wire.ChatCompletionRequest
	if err := s.decodeJSON(c, &req, s.deps.BodyLimit); err != nil {
		return err
	}
	reply, err := s.deps.OpenAI.ChatCompletions(serviceContext(c), req, c.Request().Header.Get(headerSession))
	if err != nil {
		return err
	}
	return writeReply(c, reply)
}

func (s *Server) completions(c echo.Context) error {
	var req wire.CompletionRequest
	if err := s.decodeJSON(c, &req, s.deps.BodyLimit); err != nil {
		return err
	}
	reply, err := s.deps.OpenAI.Completions(serviceContext(c), req, c.Request().Header.Get(headerSession))
	if err != nil {
		return err
	}
	return writeReply(c, reply)
}

func (s *Server) models(c echo.Context) error {
	return c.JSON(http.StatusOK, s.deps.OpenAI.Models(c.Request().Context()))
}

// writeReply encodes a non-streamed reply or streams the chunks. A client
// that went away mid-stream is not an error of this request (the service
// canceled its task).
func writeReply(c echo.Context, reply openai.Reply) error {
	setTaskID(c, reply.TaskID)
	reply.Budget.SetHeaders(c.Response().Header())
	if reply.Stream == nil {
		return c.JSON(http.StatusOK, reply.Body)
	}
	ctx := c.Request().Context()
	resp := c.Response()
	h := resp.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	resp.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(resp.Writer)
	err := reply.Stream.Serve(ctx, resp.Writer, rc.Flush)
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}
