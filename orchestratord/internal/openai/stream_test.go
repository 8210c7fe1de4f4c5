package openai

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/streaming"
)

// startStream admits a streamed request and serves it in the background.
func startStream(t *testing.T, s *Service, ctx context.Context, body string, rec *recorder) (*Stream, <-chan error) {
	t.Helper()
	req := decodeChat(t, body)
	req.Stream = true
	reply, err := s.ChatCompletions(context.Background(), req, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- reply.Stream.Serve(ctx, rec, rec.Flush) }()
	return reply.Stream, done
}

func TestChatStreamChunks(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	rec := newRecorder()
	_, done := startStream(t, s, context.Background(),
		`{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`, rec)
	l := ft.log("task-a")
	waitFor(t, "the role chunk", func() bool { return strings.Contains(rec.String(), `"role":"assistant"`) })
	_, _ = l.AppendTokens([]string{"Hel"})
	_, _ = l.Append(wire.EventMetrics, []byte(`{"queue_depth":0}`))
	_, _ = l.AppendTokens([]string{"lo", " \"w\"\n"})
	ft.setPrompt("task-a", 9)
	end(l, wire.FinishStop, 0)
	is.NoErr(<-done) // served to the end

	data, _ := events(rec.String())
	is.Equal(len(data), 7)             // role, 3 tokens, final, usage, [DONE]
	is.Equal(data[6], wire.StreamDone) // ends with [DONE]
	var chunks []wire.ChatCompletionChunk
	for _, d := range data[:6] {
		var c wire.ChatCompletionChunk
		is.NoErr(json.Unmarshal([]byte(d), &c))            // each chunk is JSON
		is.Equal(c.ID, "chatcmpl-task-a")                  // id
		is.Equal(c.Object, wire.ObjectChatCompletionChunk) // object
		is.Equal(c.Created, fixedNow.Unix())               // created
		is.Equal(c.Model, "tiny")                          // model
		chunks = append(chunks, c)
	}
	is.True(strings.HasPrefix(data[0], `{"id":"chatcmpl-task-a","object":"chat.completion.chunk","created":1700000000,"model":"tiny","choices":[`)) // field order of OpenAI
	is.True(strings.Contains(data[0], `"delta":{"role":"assistant","content":""}`))                                                                 // first delta
	var text strings.Builder
	for _, c := range chunks[1:4] {
		is.Equal(len(c.Choices), 1)                         // one choice
		is.Equal(c.Choices[0].FinishReason, (*string)(nil)) // null until the end
		text.WriteString(c.Choices[0].Delta.Content)
	}
	is.Equal(text.String(), "Hello \"w\"\n")                                                      // one chunk per token, in order
	is.Equal(*chunks[4].Choices[0].FinishReason, "stop")                                          // final chunk
	is.Equal(chunks[4].Choices[0].Delta, wire.ChatDelta{})                                        // empty delta
	is.Equal(len(chunks[5].Choices), 0)                                                           // usage chunk has no choices
	is.True(strings.Contains(data[5], `"choices":[]`))                                            // encoded as an empty array
	is.Equal(*chunks[5].Usage, wire.Usage{PromptTokens: 9, CompletionTokens: 3, TotalTokens: 12}) // usage, with the engine's prompt count
	is.Equal(len(ft.Abandoned()), 0)                                                              // nothing canceled
}

func TestTextStreamChunks(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	var req wire.CompletionRequest
	is.NoErr(json.Unmarshal([]byte(`{"model":"tiny","prompt":"p","stream":true}`), &req))
	reply, err := s.Completions(context.Background(), req, "")
	is.NoErr(err) // admitted
	l := ft.log("task-a")
	_, _ = l.AppendTokens([]string{"a", "b"})
	end(l, wire.FinishLength, 0)
	rec := newRecorder()
	is.NoErr(reply.Stream.Serve(context.Background(), rec, rec.Flush)) // served
	data, _ := events(rec.String())
	is.Equal(len(data), 4) // 2 tokens, final, [DONE]: no role chunk, no usage
	var c wire.CompletionChunk
	is.NoErr(json.Unmarshal([]byte(data[1]), &c))
	is.Equal(c.Object, wire.ObjectTextCompletion) // object
	is.Equal(c.ID, "cmpl-task-a")                 // id
	is.Equal(c.Choices[0].Text, "b")              // token text
	is.Equal(c.Choices[0].FinishReason, (*string)(nil))
	is.NoErr(json.Unmarshal([]byte(data[2]), &c))
	is.Equal(*c.Choices[0].FinishReason, "length") // finish reason
	is.Equal(c.Choices[0].Text, "")                // no text
	writes, flushes := rec.counts()
	is.Equal(writes, 1)  // every ready frame in one write
	is.Equal(flushes, 2) // headers at once, then once caught up
}

func TestStreamErrorFrame(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	rec := newRecorder()
	_, done := startStream(t, s, context.Background(), chatBody, rec)
	l := ft.log("task-a")
	_, _ = l.AppendTokens([]string{"x"})
	fail(l, wire.CodeWorkerReset, "the engine connection dropped mid-stream")
	is.NoErr(<-done) // the stream closes normally
	data, _ := events(rec.String())
	last := data[len(data)-1]
	var e wire.OpenAIError
	is.NoErr(json.Unmarshal([]byte(last), &e))                            // the OpenAI error object
	is.Equal(e.Error.Code, string(wire.CodeWorkerReset))                  // the contract's code
	is.Equal(e.Error.Type, wire.OpenAIServer)                             // type
	is.Equal(e.Error.Message, "the engine connection dropped mid-stream") // message
	is.True(!strings.Contains(rec.String(), wire.StreamDone))             // no [DONE] after an error
}

func TestStreamCanceledElsewhereEndsWithStop(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	rec := newRecorder()
	_, done := startStream(t, s, context.Background(), chatBody, rec)
	_, _ = ft.log("task-a").AppendTokens([]string{"x"})
	is.NoErr(ft.Cancel(context.Background(), "task-a")) // e.g. POST /v2/tasks/{id}/cancel
	is.NoErr(<-done)                                    // ends normally
	data, _ := events(rec.String())
	var c wire.ChatCompletionChunk
	is.NoErr(json.Unmarshal([]byte(data[len(data)-2]), &c))
	is.Equal(*c.Choices[0].FinishReason, "stop") // canceled reads as stop
}

func TestStreamClientGoneCancelsTheTask(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	_, done := startStream(t, s, ctx, chatBody, rec)
	_, _ = ft.log("task-a").AppendTokens([]string{"x"})
	waitFor(t, "the token chunk", func() bool { return strings.Contains(rec.String(), `"content":"x"`) })
	cancel()
	is.True(errors.Is(<-done, context.Canceled)) // the context's error
	is.Equal(ft.Abandoned(), []string{"task-a"}) // the task is canceled at once, as abandoned
}

func TestStreamWriteFailureCancelsTheTask(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	rec := newRecorder()
	_, done := startStream(t, s, context.Background(), chatBody, rec)
	waitFor(t, "the role chunk", func() bool { return strings.Contains(rec.String(), "assistant") })
	rec.fail()
	_, _ = ft.log("task-a").AppendTokens([]string{"x"})
	is.True(errors.Is(<-done, errGone))          // the write's error
	is.Equal(ft.Abandoned(), []string{"task-a"}) // the task is canceled as abandoned
}

func TestStreamKeepAlive(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft, WithKeepAlive(5*time.Millisecond))
	rec := newRecorder()
	_, done := startStream(t, s, context.Background(), chatBody, rec)
	waitFor(t, "keep-alives", func() bool { _, n := events(rec.String()); return n >= 2 })
	end(ft.log("task-a"), wire.FinishStop, 0)
	is.NoErr(<-done) // ends
	data, _ := events(rec.String())
	is.Equal(data[len(data)-1], wire.StreamDone) // and says so
}

// TestTokenChunksMatchTheWireEncoding checks that splicing a token frame's
// JSON string into the chunk gives the chunk the contract type describes.
func TestTokenChunksMatchTheWireEncoding(t *testing.T) {
	texts := []string{"plain", "", "quote \" backslash \\", "ctl \x01\t\r\n", "html <&>", "ünï ✓ 🙂", "\u2028\u2029", ",\"i\":3", "bad \xff utf8"}
	tests := []struct {
		name string
		kind kind
		want func(text string) any
		got  func(data []byte) (any, error)
	}{
		{"chat", kindChat,
			func(text string) any {
				return wire.ChatCompletionChunk{ID: "chatcmpl-T1", Object: wire.ObjectChatCompletionChunk, Created: 42, Model: "org/m\"odel",
					Choices: []wire.ChatChunkChoice{{Delta: wire.ChatDelta{Content: text}}}}
			},
			func(data []byte) (any, error) {
				var c wire.ChatCompletionChunk
				err := json.Unmarshal(data, &c)
				return c, err
			}},
		{"text", kindText,
			func(text string) any {
				return wire.CompletionChunk{ID: "cmpl-T1", Object: wire.ObjectTextCompletion, Created: 42, Model: "org/m\"odel",
					Choices: []wire.CompletionChoice{{Text: text}}}
			},
			func(data []byte) (any, error) {
				var c wire.CompletionChunk
				err := json.Unmarshal(data, &c)
				return c, err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			l := streaming.NewLog()
			_, _ = l.AppendTokens(texts)
			sse, _, _ := l.ReadFrom(0, false, nil)
			r := newRenderer(tt.kind, "T1", "org/m\"odel", 42)
			var out []byte
			for len(sse) > 0 {
				_, data, rest, err := nextFrame(sse)
				is.NoErr(err) // a frame
				text, err := tokenText(data)
				is.NoErr(err) // a token
				out = r.token(out, text)
				sse = rest
			}
			data, _ := events(string(out))
			is.Equal(len(data), len(texts)) // one chunk per token
			for i, d := range data {
				got, err := tt.got([]byte(d))
				is.NoErr(err)                                                   // valid JSON
				is.Equal(got, tt.want(strings.ToValidUTF8(texts[i], "\uFFFD"))) // the chunk the contract type describes
			}
		})
	}
}

func TestMalformedFramesAreRefused(t *testing.T) {
	tests := []struct{ name, sse string }{
		{"truncated", "id: 1\nevent: token\ndata: {\"t\":\"a\",\"i\":0}"},
		{"no event", "id: 1\ndata: {}\n\n"},
		{"no data", "id: 1\nevent: token\n\n"},
		{"token without text", "id: 1\nevent: token\ndata: {\"i\":0}\n\n"},
		{"bad end", "id: 1\nevent: end\ndata: [1]\n\n"},
		{"no terminal", "id: 1\nevent: token\ndata: {\"t\":\"a\",\"i\":0}\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := collect([]byte(tt.sse))
			is.True(errors.Is(err, errBadFrame)) // refused
		})
	}
}

// Streams of one service reuse their buffers: a stream after a longer one
// writes exactly its own chunks.
func TestStreamsReuseBuffersWithoutMixingOutput(t *testing.T) {
	is := is.New(t)
	ft := newFakeTasks()
	s := newService(t, ft)
	serve := func(tokens []string) []string {
		var req wire.CompletionRequest
		is.NoErr(json.Unmarshal([]byte(`{"model":"tiny","prompt":"p","stream":true}`), &req))
		reply, err := s.Completions(context.Background(), req, "")
		is.NoErr(err) // admitted
		l := ft.log(reply.Stream.taskID)
		_, _ = l.AppendTokens(tokens)
		end(l, wire.FinishStop, 0)
		rec := newRecorder()
		is.NoErr(reply.Stream.Serve(context.Background(), rec, rec.Flush)) // served
		data, _ := events(rec.String())
		var texts []string
		for _, d := range data[:len(data)-2] { // the tokens, before the final chunk and [DONE]
			var c wire.CompletionChunk
			is.NoErr(json.Unmarshal([]byte(d), &c))
			texts = append(texts, c.Choices[0].Text)
		}
		return texts
	}
	long := make([]string, 300)
	for i := range long {
		long[i] = strings.Repeat("x", i%7+1)
	}
	is.Equal(serve(long), long)                             // a long stream
	is.Equal(serve([]string{"a", "b"}), []string{"a", "b"}) // then a short one, nothing of the long one in it
}
