package openaicompat

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
)

// textChunk is a /v1/completions stream chunk carrying text.
func textChunk(text string) string {
	quoted, _ := json.Marshal(text)
	return fmt.Sprintf("data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1732700000,\"model\":\"m\","+
		"\"choices\":[{\"index\":0,\"text\":%s,\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}],\"usage\":null}\n\n", quoted)
}

// finalChunks end a /v1/completions stream of n tokens: the finish chunk,
// the usage chunk and [DONE].
func finalChunks(n int, finish string) string {
	return fmt.Sprintf("data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1732700000,\"model\":\"m\","+
		"\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":%q,\"stop_reason\":null}],\"usage\":null}\n\n"+
		"data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1732700000,\"model\":\"m\",\"choices\":[],"+
		"\"usage\":{\"prompt_tokens\":5,\"total_tokens\":%d,\"completion_tokens\":%d}}\n\ndata: [DONE]\n\n", finish, n+5, n)
}

func TestContract(t *testing.T) {
	enginetest.Run(t, enginetest.Harness{
		Path:         "/v1/completions",
		New:          func(baseURL string) enginetest.Adapter { return New(baseURL, "vllm") },
		Frame:        textChunk,
		Final:        func(n int) string { return finalChunks(n, "stop") },
		ErrorFrame:   "data: {\"error\":{\"object\":\"error\",\"message\":\"engine died\",\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}\n\n",
		ErrorMessage: "engine died",
	})
}
