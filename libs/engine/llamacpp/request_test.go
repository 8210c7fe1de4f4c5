package llamacpp

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine"
)

// refCompletion is the /completion body as encoding/json wrote it before it
// was written by hand: the hand-written one must match byte for byte.
type refCompletion struct {
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

func refBody(t *testing.T, req engine.Request) string {
	b := refCompletion{Model: req.Model, Prompt: req.Prompt, NPredict: req.MaxTokens, Stream: true, CachePrompt: true,
		Seed: req.Seed, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop}
	if len(req.Messages) > 0 {
		b.Prompt = RenderChat(req.Messages)
		b.Stop = append(append([]string{}, req.Stop...), chatStop)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRequestBodyMatchesEncodingJSON(t *testing.T) {
	seed, temp, topP := int64(42), 0.0, 1e21
	tests := []struct {
		name string
		req  engine.Request
	}{
		{"minimal", engine.Request{Prompt: "hi"}},
		{"every field", engine.Request{Model: "m", Prompt: "<a> & \"b\"\n\x01\xff", MaxTokens: 32, Seed: &seed,
			Temperature: &temp, TopP: &topP, Stop: []string{"\n\n"}}},
		{"chat", engine.Request{Messages: []engine.Message{{Role: "user", Content: "hi"}}, Stop: []string{"END"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			body, err := requestBody(tt.req)
			is.NoErr(err)                              // encoded
			is.Equal(string(body), refBody(t, tt.req)) // byte for byte encoding/json
		})
	}
}

func TestRequestBodyRefusesNaN(t *testing.T) {
	is := is.New(t)
	nan := math.NaN()
	_, err := requestBody(engine.Request{Prompt: "hi", Temperature: &nan})
	is.True(err != nil) // JSON has no NaN
}
