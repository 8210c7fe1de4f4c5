package engine

import (
	"context"
	"time"
)

// Message is one turn of a chat conversation.
type Message struct {
	Role    string // "system", "user", "assistant", or any role the engine accepts
	Content string
}

// Request is one generation. Optional sampling parameters are pointers so that
// "not set" (the engine's default) differs from zero.
type Request struct {
	Model  string
	Prompt string
	// Messages makes the request a chat: it is sent to the engine's chat
	// endpoint where the adapter uses one, else the adapter renders it into
	// the prompt (see the adapter's documentation). Prompt is then ignored.
	Messages []Message
	// MaxTokens caps the generated tokens; 0 leaves the engine's default.
	MaxTokens   int
	Seed        *int64
	Temperature *float64
	TopP        *float64
	Stop        []string
	// TokenTimeout ends the generation with an *Error of KindTimeout when no
	// chunk arrives for this long (the wait for the first chunk included);
	// 0 means no limit.
	TokenTimeout time.Duration
}

// Result describes a generation that reached the engine's terminal event.
type Result struct {
	// TokensOut is the engine's own count of generated tokens when it reports
	// one (llama.cpp tokens_predicted, OpenAI usage.completion_tokens), else
	// the number of chunks emitted.
	TokensOut int
	// PromptTokens is the engine's count of prompt tokens, 0 when unknown.
	PromptTokens int
	// FinishReason is "stop" (end of sequence, stop word) or "length" (the
	// token limit was reached).
	FinishReason string
	// EngineVersion is the version the engine announced in the response
	// (a Server header, an OpenAI system_fingerprint), else "".
	EngineVersion string
}

// Finish reasons reported in Result.FinishReason.
const (
	FinishStop   = "stop"
	FinishLength = "length"
)

// Health is what a probe learned about an engine. Counts the engine does not
// report keep their "unknown" value.
type Health struct {
	Live       bool // the engine answers HTTP
	Ready      bool // the engine serves generations (model loaded)
	SlotsTotal int  // parallel generation slots; 0 = unknown
	SlotsFree  int  // idle slots; -1 = unknown
	CtxMax     int  // context length per slot in tokens; 0 = unknown
	Models     []string
	Version    string
}

// Client is one engine endpoint.
type Client interface {
	// Generate streams the completion. emit receives, in order, the text of
	// every engine chunk that the engine had already delivered when the
	// adapter last read from the connection (a batch; never empty;
	// empty-content chunks are skipped). The slice is only valid during the
	// call; the strings in it may be kept. If emit returns an error, Generate
	// closes the engine request and returns that error unchanged. When ctx is
	// done it closes the request (the TCP connection to the engine is closed,
	// not returned to the pool), emits nothing more and returns ctx.Err().
	// Every other failure is an *Error.
	Generate(ctx context.Context, req Request, emit func(chunks []string) error) (Result, error)
	// Probe reads the engine's health and load. It returns an *Error of
	// KindUnavailable when the engine cannot be reached, ctx.Err() when ctx
	// is done, and otherwise a Health (a loading engine is Live, not Ready).
	Probe(ctx context.Context) (Health, error)
	// Engine names the engine kind: "llamacpp", "vllm", "tgi", "openai", ...
	Engine() string
}
