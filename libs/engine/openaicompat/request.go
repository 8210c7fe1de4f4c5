package openaicompat

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// Endpoint paths.
const (
	completionsPath = "/v1/completions"
	chatPath        = "/v1/chat/completions"
)

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// sampling holds the fields both endpoints share.
type sampling struct {
	MaxTokens     int           `json:"max_tokens,omitempty"`
	Stream        bool          `json:"stream"`
	StreamOptions streamOptions `json:"stream_options"`
	Seed          *int64        `json:"seed,omitempty"`
	Temperature   *float64      `json:"temperature,omitempty"`
	TopP          *float64      `json:"top_p,omitempty"`
	Stop          []string      `json:"stop,omitempty"`
}

type completionBody struct {
	Model  string `json:"model,omitempty"`
	Prompt string `json:"prompt"`
	sampling
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatBody struct {
	Model    string        `json:"model,omitempty"`
	Messages []chatMessage `json:"messages"`
	sampling
}

// requestBody returns the endpoint path and JSON body for req.
func requestBody(req engine.Request) (string, []byte, error) {
	s := sampling{
		MaxTokens:     req.MaxTokens,
		Stream:        true,
		StreamOptions: streamOptions{IncludeUsage: true},
		Seed:          req.Seed,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		Stop:          req.Stop,
	}
	path := completionsPath
	var doc any = completionBody{Model: req.Model, Prompt: req.Prompt, sampling: s}
	if len(req.Messages) > 0 {
		msgs := make([]chatMessage, len(req.Messages))
		for i, m := range req.Messages {
			msgs[i] = chatMessage{Role: m.Role, Content: m.Content}
		}
		path = chatPath
		doc = chatBody{Model: req.Model, Messages: msgs, sampling: s}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", nil, fmt.Errorf("encode %s body: %w", path, err)
	}
	return path, buf.Bytes(), nil
}
