package logsink

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLinesArriveWholeAndInFewWrites(t *testing.T) {
	is := is.New(t)
	out := &lockedBuffer{}
	w := New(out, 64<<10, time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = w.Write([]byte("{\"level\":\"info\",\"message\":\"line\"}\n"))
			}
		})
	}
	wg.Wait()
	is.Equal(out.n, 0) // nothing written before a flush
	is.NoErr(w.Close())
	is.Equal(bytes.Count([]byte(out.String()), []byte("\n")), 800)                                          // every line
	is.Equal(bytes.Count([]byte(out.String()), []byte("{\"level\":\"info\",\"message\":\"line\"}\n")), 800) // none torn
	is.True(out.n <= 1)                                                                                     // one write
}

func TestFlushesOnTheInterval(t *testing.T) {
	is := is.New(t)
	out := &lockedBuffer{}
	w := New(out, 64<<10, time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("x\n"))
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	is.Equal(out.String(), "x\n") // flushed without Close
}
