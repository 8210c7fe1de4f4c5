package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// Endpoint paths.
const (
	generatePath = "/api/generate"
	chatPath     = "/api/chat"
)

// options is the part of Ollama's "options" the adapter sets.
type options struct {
	NumPredict  int      `json:"num_predict,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

type generateBody struct {
	Model   string   `json:"model"`
	Prompt  string   `json:"prompt"`
	Stream  bool     `json:"stream"`
	Options *options `json:"options,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatBody struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
	Options  *options      `json:"options,omitempty"`
}

// requestBody returns the endpoint path and JSON body for req.
func requestBody(req engine.Request) (string, []byte, error) {
	o := &options{
		NumPredict:  req.MaxTokens,
		Seed:        req.Seed,
		Temperature: req.Temperature,
		TopP:        req.TopP,
		Stop:        req.Stop,
	}
	if o.NumPredict == 0 && o.Seed == nil && o.Temperature == nil && o.TopP == nil && len(o.Stop) == 0 {
		o = nil
	}
	path := generatePath
	var doc any = generateBody{Model: req.Model, Prompt: req.Prompt, Stream: true, Options: o}
	if len(req.Messages) > 0 {
		msgs := make([]chatMessage, len(req.Messages))
		for i, m := range req.Messages {
			role := m.Role
			if role == "" {
				role = "user"
			}
			msgs[i] = chatMessage{Role: role, Content: m.Content}
		}
		path = chatPath
		doc = chatBody{Model: req.Model, Messages: msgs, Stream: true, Options: o}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return "", nil, fmt.Errorf("encode %s body: %w", path, err)
	}
	return path, buf.Bytes(), nil
}
