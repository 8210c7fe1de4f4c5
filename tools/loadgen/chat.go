package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// chatMessage is one message of a chat completion request.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chatBody is the body of the openai target's requests.
func chatBody(cfg Config) ([]byte, error) {
	return json.Marshal(struct {
		Model     string        `json:"model"`
		Messages  []chatMessage `json:"messages"`
		MaxTokens int           `json:"max_tokens"`
		Stream    bool          `json:"stream"`
	}{Model: cfg.Model, Messages: []chatMessage{{Role: "user", Content: cfg.Prompt}}, MaxTokens: cfg.MaxTokens, Stream: true})
}

const pathChat = "/v1/chat/completions"

// chat streams POST /v1/chat/completions until data: [DONE]. Every chunk
// whose delta carries non-empty content is a token; the first one is the
// TTFT.
func (c *client) chat(ctx context.Context) result {
	start := time.Now()
	req, err := c.newRequest(ctx, http.MethodPost, pathChat, c.body)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return result{err: statusError(resp)}
	}
	c.br.Reset(resp.Body)
	var res result
	for {
		line, err := c.readLine()
		if err != nil {
			res.err = streamEnd(ctx, err)
			return res
		}
		data, ok := bytes.CutPrefix(line, []byte(prefixData))
		switch {
		case !ok:
		case bytes.Equal(data, []byte("[DONE]")):
			_, _ = io.Copy(io.Discard, c.br) // the end of the chunked body, so the connection is reused
			return res
		case bytes.HasPrefix(data, []byte(`{"error"`)):
			res.err = &StreamError{Data: string(data)}
			return res
		case hasContent(data):
			res.tokens++
			if res.ttft == 0 {
				res.ttft = time.Since(start)
			}
		}
	}
}

// hasContent says whether a chat chunk's first choice has a delta with a
// non-empty string content. It scans the chunk instead of decoding it.
func hasContent(data []byte) bool {
	i := bytes.Index(data, []byte(`"delta":`))
	if i < 0 {
		return false
	}
	rest := data[i:]
	j := bytes.Index(rest, []byte(`"content":`))
	if j < 0 {
		return false
	}
	rest = bytes.TrimLeft(rest[j+len(`"content":`):], " \t")
	return len(rest) >= 2 && rest[0] == '"' && rest[1] != '"'
}
