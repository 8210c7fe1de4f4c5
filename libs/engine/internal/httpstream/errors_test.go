package httpstream

import (
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/engine/internal/jsonscan"
)

func TestErrorMessage(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "openai / llama.cpp", body: `{"error":{"code":400,"message":"bad prompt","type":"invalid_request_error"}}`, want: "bad prompt"},
		{name: "type only", body: `{"error":{"type":"server_error"}}`, want: "server_error"},
		{name: "tgi", body: `{"error":"Input validation error","error_type":"validation"}`, want: "Input validation error"},
		{name: "older vllm", body: `{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}`, want: "too long"},
		{name: "fastapi detail", body: `{"detail":"Not Found"}`, want: "Not Found"},
		{name: "fastapi validation", body: `{"detail":[{"loc":["body","prompt"],"msg":"field required"}]}`,
			want: `[{"loc":["body","prompt"],"msg":"field required"}]`},
		{name: "plain text", body: "upstream connect error\nmore", want: "upstream connect error"},
		{name: "empty", body: "", want: ""},
		{name: "invalid utf8", body: "bad \xff byte", want: "bad \uFFFD byte"},
		{name: "long", body: strings.Repeat("é", 400), want: strings.Repeat("é", maxMessage/2) + "…"},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(ErrorMessage([]byte(tt.body)), tt.want) // the human message
		})
	}
}

func TestReadErrorValue(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		value  string
		status int
		msg    string
	}{
		{name: "object", value: `{"code":500,"message":"boom","type":"server_error"}`, status: 500, msg: "boom"},
		{name: "string code", value: `{"code":"429","message":"slow down"}`, status: 429, msg: "slow down"},
		{name: "symbolic code", value: `{"code":"rate_limit_exceeded","message":"slow down"}`, msg: "slow down"},
		{name: "type only", value: `{"type":"unavailable_error","param":null}`, msg: "unavailable_error"},
		{name: "string", value: `"CUDA out of memory"`, msg: "CUDA out of memory"},
		{name: "other", value: `42`},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var c jsonscan.Cursor
			c.Reset([]byte(tt.value))
			e := ReadErrorValue(&c)
			is.Equal(e.Status, tt.status) // numeric code
			is.Equal(e.Message, tt.msg)   // message, else type
			is.True(c.AtEnd())            // the value was consumed
		})
	}
}
