package wire_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/contracts/wire"
)

func TestStopSequences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wire.StopSequences
	}{
		{"absent", `{}`, nil},
		{"null", `{"stop":null}`, nil},
		{"string", `{"stop":"###"}`, wire.StopSequences{"###"}},
		{"empty string", `{"stop":""}`, nil},
		{"array", `{"stop":["a","\n"]}`, wire.StopSequences{"a", "\n"}},
		{"empty array", `{"stop":[]}`, wire.StopSequences{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var req wire.ChatCompletionRequest
			is.NoErr(json.Unmarshal([]byte(tt.in), &req)) // decodes
			is.Equal(req.Stop, tt.want)                   // flexible stop
		})
	}
}

func TestFlexibleFieldsRefuse(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		into  any
		field string
	}{
		{"stop number", `{"stop":5}`, &wire.ChatCompletionRequest{}, "stop"},
		{"stop mixed array", `{"stop":["a",1]}`, &wire.TaskRequest{}, "stop"},
		{"stop object", `{"stop":{}}`, &wire.CompletionRequest{}, "stop"},
		{"prompt tokens", `{"prompt":[1,2,3]}`, &wire.CompletionRequest{}, "prompt"},
		{"prompt bool", `{"prompt":true}`, &wire.CompletionRequest{}, "prompt"},
		{"content image", `{"messages":[{"role":"user","content":[{"type":"text","text":"a"},
			{"type":"image_url","image_url":{"url":"x"}}]}]}`, &wire.ChatCompletionRequest{}, "messages.content"},
		{"content number", `{"messages":[{"role":"user","content":7}]}`, &wire.ChatCompletionRequest{}, "messages.content"},
		{"content bad parts", `{"messages":[{"role":"user","content":[1]}]}`, &wire.ChatCompletionRequest{}, "messages.content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := json.Unmarshal([]byte(tt.in), tt.into)
			var fe *wire.FieldError
			is.True(errors.As(err, &fe))                  // a field error
			is.Equal(fe.Field, tt.field)                  // naming the field
			is.True(errors.Is(err, wire.ErrInvalidField)) // maps to INVALID_PARAMS
		})
	}
}

func TestChatMessageContent(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wire.ChatMessage
	}{
		{"string", `{"role":"user","content":"hi"}`, wire.ChatMessage{Role: "user", Content: "hi"}},
		{"null", `{"role":"assistant","content":null}`, wire.ChatMessage{Role: "assistant"}},
		{"absent", `{"role":"assistant"}`, wire.ChatMessage{Role: "assistant"}},
		{"text parts", `{"role":"user","content":[{"type":"text","text":"one"},{"type":"input_text","text":"two"}],"name":"bob"}`,
			wire.ChatMessage{Role: "user", Content: "one\ntwo", Name: "bob"}},
		{"no parts", `{"role":"user","content":[]}`, wire.ChatMessage{Role: "user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var m wire.ChatMessage
			is.NoErr(json.Unmarshal([]byte(tt.in), &m)) // decodes
			is.Equal(m, tt.want)                        // text parts flattened
		})
	}
}

func TestPromptList(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    wire.PromptList
		joined  string
		encoded string
	}{
		{"string", `{"prompt":"Once"}`, wire.PromptList{"Once"}, "Once", `"Once"`},
		{"array", `{"prompt":["a","b"]}`, wire.PromptList{"a", "b"}, "a\n\nb", `["a","b"]`},
		{"array of one", `{"prompt":["a"]}`, wire.PromptList{"a"}, "a", `"a"`},
		{"null", `{"prompt":null}`, nil, "", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var req wire.CompletionRequest
			is.NoErr(json.Unmarshal([]byte(tt.in), &req)) // decodes
			is.Equal(req.Prompt, tt.want)                 // string or array
			is.Equal(req.Prompt.Joined(), tt.joined)      // one text
			out, err := json.Marshal(req.Prompt)
			is.NoErr(err)                     // encodes
			is.Equal(string(out), tt.encoded) // one prompt as a string
		})
	}
}

func TestChatCompletionRequest(t *testing.T) {
	is := is.New(t)
	sample := `{"model":"llama-3-8b","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
		"stream":true,"stream_options":{"include_usage":true},"max_tokens":16,"max_completion_tokens":32,
		"temperature":0,"top_p":1,"stop":["x"],"seed":7,"user":"alice","n":1}`
	var req wire.ChatCompletionRequest
	decodeStrict(t, sample, &req)
	is.True(req.IncludeUsage())     // stream_options.include_usage
	is.Equal(*req.TokenLimit(), 32) // max_completion_tokens wins
	is.Equal(*req.Temperature, 0.0) // explicit 0 kept
	out, err := json.Marshal(req)
	is.NoErr(err)                                         // encodes
	is.Equal(generic(t, out), generic(t, []byte(sample))) // round trip

	var old wire.ChatCompletionRequest
	is.NoErr(json.Unmarshal([]byte(`{"model":"m","messages":[],"max_tokens":9,"tools":[]}`), &old)) // unknown OpenAI fields ignored
	is.Equal(*old.TokenLimit(), 9)                                                                  // max_tokens when alone
	is.True(!old.IncludeUsage())                                                                    // no stream options
}

func TestCompletionRequest(t *testing.T) {
	is := is.New(t)
	sample := `{"model":"m","prompt":"Once upon","stream":true,"stream_options":{"include_usage":false},
		"max_tokens":8,"temperature":0.2,"top_p":0.5,"stop":"\n","seed":1,"user":"u","n":1}`
	var req wire.CompletionRequest
	decodeStrict(t, sample, &req)
	is.True(!req.IncludeUsage())                 // include_usage false
	is.Equal(req.Stop, wire.StopSequences{"\n"}) // stop string became a list
}

func TestOpenAIResponses(t *testing.T) {
	tests := []struct {
		name   string
		sample string
		into   any
	}{
		{"chat completion", `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"m",
			"choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`, &wire.ChatCompletion{}},
		{"completion", `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m",
			"choices":[{"text":" a time","index":0,"finish_reason":"length"}],
			"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}`, &wire.Completion{}},
		{"chat chunk", `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",
			"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`, &wire.ChatCompletionChunk{}},
		{"chat usage chunk", `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],
			"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`, &wire.ChatCompletionChunk{}},
		{"completion chunk", `{"id":"c","object":"text_completion","created":1,"model":"m","system_fingerprint":"fp",
			"choices":[{"text":"x","index":0,"finish_reason":null}]}`, &wire.CompletionChunk{}},
		{"models", `{"object":"list","data":[{"id":"org/m","object":"model","created":1,"owned_by":"orchestratord"}]}`, &wire.ModelList{}},
		{"error", `{"error":{"message":"queue full","type":"rate_limit_error","code":"ADMISSION_REJECT"}}`, &wire.OpenAIError{}},
		{"error param", `{"error":{"message":"bad","type":"invalid_request_error","code":"INVALID_PARAMS","param":"messages"}}`, &wire.OpenAIError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			decodeStrict(t, tt.sample, tt.into)
			out, err := json.Marshal(tt.into)
			is.NoErr(err)                                            // encodes
			is.Equal(generic(t, out), generic(t, []byte(tt.sample))) // same JSON back
		})
	}
}

func TestOpenAIErrorTolerantDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wire.OpenAIErrorBody
	}{
		{"openai nulls", `{"error":{"message":"m","type":"t","code":null,"param":null}}`, wire.OpenAIErrorBody{Message: "m", Type: "t"}},
		{"vllm numeric code", `{"error":{"message":"m","type":"BadRequestError","code":400,"param":null}}`,
			wire.OpenAIErrorBody{Message: "m", Type: "BadRequestError", Code: "400"}},
		{"string code", `{"error":{"message":"m","type":"t","code":"model_not_found","param":"model"}}`,
			wire.OpenAIErrorBody{Message: "m", Type: "t", Code: "model_not_found", Param: "model"}},
		{"object code", `{"error":{"message":"m","type":"t","code":{"x":1}}}`, wire.OpenAIErrorBody{Message: "m", Type: "t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var e wire.OpenAIError
			is.NoErr(json.Unmarshal([]byte(tt.in), &e)) // decodes
			is.Equal(e.Error, tt.want)                  // code and param as text
		})
	}
}

func TestNewOpenAIError(t *testing.T) {
	is := is.New(t)
	out, err := json.Marshal(wire.NewOpenAIError(wire.CodeBudgetExhausted, "token budget spent"))
	is.NoErr(err)                                                                                                           // encodes
	is.Equal(string(out), `{"error":{"message":"token budget spent","type":"rate_limit_error","code":"BUDGET_EXHAUSTED"}}`) // OpenAI error object
}
