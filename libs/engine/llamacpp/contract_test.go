package llamacpp

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
)

// tokenFrame is a /completion stream frame carrying text.
func tokenFrame(text string) string {
	quoted, _ := json.Marshal(text)
	return fmt.Sprintf("data: {\"index\":0,\"content\":%s,\"tokens\":[],\"stop\":false,\"id_slot\":0,\"tokens_predicted\":1,\"tokens_evaluated\":5}\n\n", quoted)
}

// finalFrame is the last frame of a stream of n tokens.
func finalFrame(n int, stopType string) string {
	return fmt.Sprintf("data: {\"index\":0,\"content\":\"\",\"tokens\":[],\"id_slot\":0,\"stop\":true,\"model\":\"m\","+
		"\"tokens_predicted\":%d,\"tokens_evaluated\":5,\"generation_settings\":{\"stop\":[\"\\n\"],\"n_predict\":-1},"+
		"\"prompt\":\"p\",\"has_new_line\":false,\"truncated\":false,\"stop_type\":%q,\"stopping_word\":\"\",\"tokens_cached\":5,"+
		"\"timings\":{\"prompt_n\":5,\"predicted_n\":%d}}\n\n", n, stopType, n)
}

func TestContract(t *testing.T) {
	enginetest.Run(t, enginetest.Harness{
		Path:         "/completion",
		New:          func(baseURL string) enginetest.Adapter { return New(baseURL) },
		Frame:        tokenFrame,
		Final:        func(n int) string { return finalFrame(n, "eos") },
		ErrorFrame:   "data: {\"error\":{\"code\":500,\"message\":\"slot crashed\",\"type\":\"server_error\"}}\n\n",
		ErrorMessage: "slot crashed",
	})
}
