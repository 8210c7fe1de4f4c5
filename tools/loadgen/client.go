package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Errors a request can end with.
var (
	// ErrIncomplete: the stream ended without its terminal frame ([DONE], end
	// or error).
	ErrIncomplete = errors.New("stream ended without its terminal frame")
	// ErrCanceled: the task's stream ended with an end frame saying canceled.
	ErrCanceled = errors.New("task canceled")
)

// StatusError is an unexpected HTTP status.
type StatusError struct {
	Status int
	Body   string // the first bytes of the body
}

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// StreamError is an error frame in the stream.
type StreamError struct{ Data string }

func (e *StreamError) Error() string { return "error frame: " + e.Data }

// result is the outcome of one request.
type result struct {
	tokens int64
	ttft   time.Duration // from sending the request to the first token; 0: none
	err    error
}

const (
	readBufferSize = 64 << 10
	errBodyBytes   = 256
)

// client runs the requests of one closed-loop worker; it reuses its buffers.
type client struct {
	cfg  Config
	http *http.Client
	base *url.URL
	body []byte // the request body, built once
	br   *bufio.Reader
	line []byte // a line longer than the reader's buffer
	data []byte // the data of the SSE frame being read
}

func newClient(cfg Config, hc *http.Client, base *url.URL) (*client, error) {
	var v any
	switch cfg.Target {
	case TargetOpenAI:
		body, err := chatBody(cfg)
		if err != nil {
			return nil, err
		}
		return &client{cfg: cfg, http: hc, base: base, body: body, br: bufio.NewReaderSize(nil, readBufferSize)}, nil
	case TargetDirect, TargetProxy:
		v = struct {
			Model         string `json:"model"`
			Prompt        string `json:"prompt"`
			MaxTokens     int    `json:"max_tokens"`
			Stream        bool   `json:"stream"`
			StreamOptions struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}{Model: cfg.Model, Prompt: cfg.Prompt, MaxTokens: cfg.MaxTokens, Stream: true,
			StreamOptions: struct {
				IncludeUsage bool `json:"include_usage"`
			}{true}}
	default:
		v = struct {
			Workload  string `json:"workload"`
			ModelRef  string `json:"model_ref"`
			Prompt    string `json:"prompt"`
			MaxTokens int    `json:"max_tokens"`
		}{"completion", cfg.Model, cfg.Prompt, cfg.MaxTokens}
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &client{cfg: cfg, http: hc, base: base, body: body, br: bufio.NewReaderSize(nil, readBufferSize)}, nil
}

func (c *client) do(ctx context.Context) result {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	switch c.cfg.Target {
	case TargetOrchd:
		return c.task(ctx)
	case TargetAdmit:
		_, err := c.admit(ctx)
		return result{err: err}
	case TargetOpenAI:
		return c.chat(ctx)
	}
	return c.completion(ctx)
}

func (c *client) newRequest(ctx context.Context, method, rel string, body []byte) (*http.Request, error) {
	u := c.base.JoinPath(rel)
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	return req, nil
}

// statusError reads the start of an unexpected answer.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, errBodyBytes))
	return &StatusError{Status: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
}

// readLine returns the next line without its line ending; the slice is valid
// until the next call.
func (c *client) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		c.line = append(c.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = c.br.ReadSlice('\n')
			c.line = append(c.line, line...)
		}
		line = c.line
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

const (
	prefixData  = "data: "
	prefixEvent = "event: "
)

// completion streams POST /v1/completions until data: [DONE].
func (c *client) completion(ctx context.Context) result {
	start := time.Now()
	req, err := c.newRequest(ctx, http.MethodPost, "/v1/completions", c.body)
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
	usage := int64(-1)
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
			if usage >= 0 {
				res.tokens = usage
			}
			_, _ = io.Copy(io.Discard, c.br) // the end of the chunked body, so the connection is reused
			return res
		case bytes.HasPrefix(data, []byte(`{"error"`)):
			res.err = &StreamError{Data: string(data)}
			return res
		case bytes.Contains(data, []byte(`"choices":[{`)):
			res.tokens++
			if res.ttft == 0 {
				res.ttft = time.Since(start)
			}
		default:
			if n, ok := intField(data, `"completion_tokens":`); ok {
				usage = n
			}
		}
	}
}

// streamEnd is the error of a stream that stopped before its terminal frame.
func streamEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: %v", ErrIncomplete, err)
}

// intField finds "key":<int> in a JSON text.
func intField(data []byte, key string) (int64, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}

// admission is the part of the 202 answer loadgen needs.
type admission struct {
	TaskID  string `json:"task_id"`
	Streams struct {
		SSE string `json:"sse"`
	} `json:"streams"`
}

// admit posts the task; it returns the admission when the answer is 202.
func (c *client) admit(ctx context.Context) (admission, error) {
	var adm admission
	req, err := c.newRequest(ctx, http.MethodPost, "/v2/tasks", c.body)
	if err != nil {
		return adm, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return adm, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return adm, statusError(resp)
	}
	if c.cfg.Target == TargetAdmit {
		_, err = io.Copy(io.Discard, resp.Body)
		return adm, err
	}
	if err := json.NewDecoder(resp.Body).Decode(&adm); err != nil {
		return adm, fmt.Errorf("decoding the admission: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if adm.Streams.SSE == "" {
		return adm, errors.New("admission without streams.sse")
	}
	return adm, nil
}

// frame kinds of orchestratord's task stream.
const (
	frameOther = iota
	frameToken
	frameEnd
	frameError
)

// task admits a task and reads its event stream until end or error.
func (c *client) task(ctx context.Context) result {
	start := time.Now()
	adm, err := c.admit(ctx)
	if err != nil {
		return result{err: err}
	}
	ref, err := url.Parse(adm.Streams.SSE)
	if err != nil {
		return result{err: fmt.Errorf("streams.sse %q: %w", adm.Streams.SSE, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.ResolveReference(ref).String(), nil)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
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
	kind := frameOther
	c.data = c.data[:0]
	for {
		line, err := c.readLine()
		if err != nil {
			res.err = streamEnd(ctx, err)
			return res
		}
		if len(line) > 0 {
			if ev, ok := bytes.CutPrefix(line, []byte(prefixEvent)); ok {
				kind = frameKind(ev)
			} else if d, ok := bytes.CutPrefix(line, []byte(prefixData)); ok {
				c.data = append(c.data, d...)
			}
			continue
		}
		switch kind {
		case frameToken:
			res.tokens++
			if res.ttft == 0 {
				res.ttft = time.Since(start)
			}
		case frameEnd:
			if n, ok := intField(c.data, `"tokens_out":`); ok {
				res.tokens = n
			}
			if bytes.Contains(c.data, []byte(`"canceled":true`)) {
				res.err = ErrCanceled
			}
			_, _ = io.Copy(io.Discard, c.br)
			return res
		case frameError:
			res.err = &StreamError{Data: string(c.data)}
			return res
		}
		kind, c.data = frameOther, c.data[:0]
	}
}

func frameKind(ev []byte) int {
	switch string(ev) {
	case "token":
		return frameToken
	case "end":
		return frameEnd
	case "error":
		return frameError
	}
	return frameOther
}
