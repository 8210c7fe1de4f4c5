package llamacpp

import (
	"fmt"
	"strings"

	"github.com/orchestratord/orchestratord/libs/engine"
	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonwrite"
)

// chatStop keeps a rendered chat from running into the user's next turn.
const chatStop = "\nUser:"

// requestBody encodes req for /completion, as encoding/json writes
// {"model", "prompt", "n_predict", "stream": true, "cache_prompt": true,
// "seed", "temperature", "top_p", "stop"} with the optional ones only when
// set; a chat is rendered into the prompt.
func requestBody(req engine.Request) ([]byte, error) {
	prompt, stop := req.Prompt, req.Stop
	if len(req.Messages) > 0 {
		prompt = RenderChat(req.Messages)
		stop = append(append(make([]string, 0, len(req.Stop)+1), req.Stop...), chatStop)
	}
	o := jsonwrite.New(make([]byte, 0, 160+len(req.Model)+len(prompt)))
	if req.Model != "" {
		o.String("model", req.Model)
	}
	o.String("prompt", prompt)
	if req.MaxTokens != 0 {
		o.Int("n_predict", int64(req.MaxTokens))
	}
	o.Bool("stream", true)
	o.Bool("cache_prompt", true)
	if req.Seed != nil {
		o.Int("seed", *req.Seed)
	}
	if req.Temperature != nil {
		if err := o.Float("temperature", *req.Temperature); err != nil {
			return nil, fmt.Errorf("encode /completion body: %w", err)
		}
	}
	if req.TopP != nil {
		if err := o.Float("top_p", *req.TopP); err != nil {
			return nil, fmt.Errorf("encode /completion body: %w", err)
		}
	}
	if len(stop) > 0 {
		o.Strings("stop", stop)
	}
	return o.Finish(), nil
}

// RenderChat renders messages as the prompt Generate sends for a chat: one
// "Role: content" line per message (the role capitalised: "System", "User",
// "Assistant"; an empty role is "User"), then "Assistant:" for the reply.
func RenderChat(messages []engine.Message) string {
	var b strings.Builder
	for _, m := range messages {
		b.WriteString(roleLabel(m.Role))
		b.WriteString(": ")
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	b.WriteString("Assistant:")
	return b.String()
}

func roleLabel(role string) string {
	switch role {
	case "":
		return "User"
	case "system":
		return "System"
	case "user":
		return "User"
	case "assistant":
		return "Assistant"
	}
	if c := role[0]; 'a' <= c && c <= 'z' {
		return string(c-'a'+'A') + role[1:]
	}
	return role
}
