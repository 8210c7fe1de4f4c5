package llamacpp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/orchestratord/orchestratord/libs/engine/internal/enginetest"
	"github.com/orchestratord/orchestratord/libs/engine/internal/httpstream"
)

// FuzzLlamaCppStream feeds arbitrary bytes as a /completion stream through
// the adapter's parser and the shared read loop: it must not panic, must emit exactly the chunks before the terminal
// frame and nothing after it, and succeed only for a complete stream.
func FuzzLlamaCppStream(f *testing.F) {
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
	f.Add([]byte(tokenFrame("a") + finalFrame(1, "eos") + tokenFrame("after the end")))
	f.Add([]byte("data: {\"content\":\"x\",\"stop\":true}\ndata: {\"content\":\"y\"}\n"))
	f.Add([]byte("error: {\"code\":500,\"message\":\"m\"}\n"))
	f.Add([]byte("data: {\"content\":\"cut"))
	s := enginetest.FuzzStreamer()
	newParser := func() httpstream.Parser { return new(frames) }
	f.Fuzz(func(t *testing.T, data []byte) {
		enginetest.CheckStream(t, s, newParser, data)
	})
}
