package openaicompat

import (
	"fmt"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonwrite"
)

// Endpoint paths.
const (
	completionsPath = "/v1/completions"
	chatPath        = "/v1/chat/completions"
)

// requestBody returns the endpoint path and JSON body for req:
// {"model", "prompt" or "messages", "max_tokens", "stream": true,
// "stream_options": {"include_usage": true}, "seed", "temperature", "top_p",
// "stop"}, the optional ones only when set, as encoding/json writes it.
func requestBody(req engine.Request) (string, []byte, error) {
	path := completionsPath
	n := 160 + len(req.Model) + len(req.Prompt)
	for _, m := range req.Messages {
		n += 32 + len(m.Role) + len(m.Content)
	}
	o := jsonwrite.New(make([]byte, 0, n))
	if req.Model != "" {
		o.String("model", req.Model)
	}
	if len(req.Messages) > 0 {
		path = chatPath
		o.Objects("messages", len(req.Messages), func(i int, m *jsonwrite.Object) {
			m.String("role", req.Messages[i].Role)
			m.String("content", req.Messages[i].Content)
		})
	} else {
		o.String("prompt", req.Prompt)
	}
	if req.MaxTokens != 0 {
		o.Int("max_tokens", int64(req.MaxTokens))
	}
	o.Bool("stream", true)
	o.Raw("stream_options", `{"include_usage":true}`)
	if req.Seed != nil {
		o.Int("seed", *req.Seed)
	}
	if req.Temperature != nil {
		if err := o.Float("temperature", *req.Temperature); err != nil {
			return "", nil, fmt.Errorf("encode %s body: %w", path, err)
		}
	}
	if req.TopP != nil {
		if err := o.Float("top_p", *req.TopP); err != nil {
			return "", nil, fmt.Errorf("encode %s body: %w", path, err)
		}
	}
	if len(req.Stop) > 0 {
		o.Strings("stop", req.Stop)
	}
	return path, o.Finish(), nil
}
