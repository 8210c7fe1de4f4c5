package ollama

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// FuzzOllamaStream feeds arbitrary bytes as an /api/generate or /api/chat
// NDJSON stream through the adapter's parser and the shared read loop: it
// must not panic, must emit exactly the chunks up to the "done": true line
// and nothing after it, and succeed only for a complete stream.
func FuzzOllamaStream(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.ndjson")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(tokenLine("a") + finalLine(1, "stop") + tokenLine("after the end")))
	f.Add([]byte("{\"message\":{\"content\":\"\\ud83d\\ude00\"},\"done\":true}\n"))
	f.Add([]byte("{\"error\":{\"message\":\"m\",\"code\":500}}\n"))
	f.Add([]byte("\n\r\n{\"response\":\"cut"))
	s := enginetest.FuzzStreamer()
	newParser := func() httpstream.Parser { return new(frames) }
	f.Fuzz(func(t *testing.T, data []byte) {
		enginetest.CheckStream(t, s, newParser, data)
	})
}
