package llamacpp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// chatStop keeps a rendered chat from running into the user's next turn.
const chatStop = "\nUser:"

// completionBody is the JSON body of POST /completion.
type completionBody struct {
	Model       string   `json:"model,omitempty"`
	Prompt      string   `json:"prompt"`
	NPredict    int      `json:"n_predict,omitempty"`
	Stream      bool     `json:"stream"`
	CachePrompt bool     `json:"cache_prompt"`
	Seed        *int64   `json:"seed,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

// requestBody encodes req for /completion; a chat is rendered into the prompt.
func requestBody(req engine.Request) ([]byte, error) {
	b := completionBody{
		Model:       req.Model,
		Prompt:      req.Prompt,
		NPredict:    req.MaxTokens,
		Stream:      true,
		CachePrompt: true,
		Seed:        req.Seed,
		Temperature: req.Temperature,
		TopP:        req.TopP,
		Stop:        req.Stop,
	}
	if len(req.Messages) > 0 {
		b.Prompt = RenderChat(req.Messages)
		b.Stop = append(append(make([]string, 0, len(req.Stop)+1), req.Stop...), chatStop)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("encode /completion body: %w", err)
	}
	return buf.Bytes(), nil
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
