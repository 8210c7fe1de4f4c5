package openaicompat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// FuzzOpenAIStream feeds arbitrary bytes as an OpenAI-compatible stream
// through the adapter's parser and the shared read loop: it must not panic,
// must emit exactly the chunks before [DONE] and nothing after it, and
// succeed only for a complete stream.
func FuzzOpenAIStream(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.sse")
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
	f.Add([]byte(textChunk("a") + "data: [DONE]\n\n" + textChunk("after the end")))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"\\ud83d\\ude00\"},\"finish_reason\":\"stop\"}]}\n"))
	f.Add([]byte("data: {\"object\":\"error\",\"message\":\"m\",\"code\":400}\n"))
	f.Add([]byte("data: {\"choices\":[{\"text\":\"cut"))
	s := enginetest.FuzzStreamer()
	newParser := func() httpstream.Parser { return new(frames) }
	f.Fuzz(func(t *testing.T, data []byte) {
		enginetest.CheckStream(t, s, newParser, data)
	})
}
