package ollama

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
)

// tokenLine is an /api/generate stream line carrying text, as Ollama's
// json.Marshal writes it.
func tokenLine(text string) string {
	quoted, _ := json.Marshal(text)
	return fmt.Sprintf("{\"model\":\"tiny\",\"created_at\":\"2026-02-20T10:15:02.116253Z\",\"response\":%s,\"done\":false}\n", quoted)
}

// finalLine is the last line of a stream of n tokens.
func finalLine(n int, reason string) string {
	return fmt.Sprintf("{\"model\":\"tiny\",\"created_at\":\"2026-02-20T10:15:02.123377Z\",\"response\":\"\",\"done\":true,"+
		"\"done_reason\":%q,\"context\":[1,1724,278],\"total_duration\":12538210,\"load_duration\":441022,"+
		"\"prompt_eval_count\":7,\"prompt_eval_duration\":4011000,\"eval_count\":%d,\"eval_duration\":6903000}\n", reason, n)
}

func TestContract(t *testing.T) {
	enginetest.Run(t, enginetest.Harness{
		Path:         "/api/generate",
		New:          func(baseURL string) enginetest.Adapter { return New(baseURL) },
		Frame:        tokenLine,
		Final:        func(n int) string { return finalLine(n, "stop") },
		ErrorFrame:   "{\"error\":\"llama runner process has terminated: exit status 2\"}\n",
		ErrorMessage: "llama runner process has terminated: exit status 2",
		NoComments:   true,
	})
}
