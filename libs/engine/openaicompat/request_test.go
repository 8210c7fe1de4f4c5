package openaicompat

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// The request bodies as encoding/json wrote them before they were written
// by hand: the hand-written ones must match byte for byte.
type refSampling struct {
	MaxTokens     int  `json:"max_tokens,omitempty"`
	Stream        bool `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Seed        *int64   `json:"seed,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

type refCompletion struct {
	Model  string `json:"model,omitempty"`
	Prompt string `json:"prompt"`
	refSampling
}

type refMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type refChat struct {
	Model    string       `json:"model,omitempty"`
	Messages []refMessage `json:"messages"`
	refSampling
}

func refBody(t *testing.T, req engine.Request) string {
	s := refSampling{MaxTokens: req.MaxTokens, Stream: true, Seed: req.Seed, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop}
	s.StreamOptions.IncludeUsage = true
	var doc any = refCompletion{Model: req.Model, Prompt: req.Prompt, refSampling: s}
	if len(req.Messages) > 0 {
		msgs := make([]refMessage, len(req.Messages))
		for i, m := range req.Messages {
			msgs[i] = refMessage{m.Role, m.Content}
		}
		doc = refChat{Model: req.Model, Messages: msgs, refSampling: s}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRequestBodyMatchesEncodingJSON(t *testing.T) {
	seed, temp, topP := int64(-3), 0.7, 1e-7
	tests := []struct {
		name string
		req  engine.Request
		path string
	}{
		{"minimal", engine.Request{Prompt: "hi"}, completionsPath},
		{"every field", engine.Request{Model: "m<1>", Prompt: "a \"b\" \n\u2028\xff", MaxTokens: 64, Seed: &seed,
			Temperature: &temp, TopP: &topP, Stop: []string{"\n", "&"}}, completionsPath},
		{"chat", engine.Request{Model: "m", Messages: []engine.Message{{Role: "system", Content: "be\tbrief"}, {Role: "user", Content: "hi"}},
			MaxTokens: 8, Stop: []string{"x"}}, chatPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			path, body, err := requestBody(tt.req)
			is.NoErr(err)                              // encoded
			is.Equal(path, tt.path)                    // the endpoint
			is.Equal(string(body), refBody(t, tt.req)) // byte for byte encoding/json
		})
	}
}
