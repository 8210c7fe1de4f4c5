package artifacts_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// rss is what /proc/self/status reports of the process's resident memory,
// in bytes: VmRSS, and of it RssFile, the touched pages of mapped files such
// as the store's mmap, and VmHWM, the highest VmRSS so far.
type rss struct{ total, file, peak int64 }

func readRSS(t *testing.T) rss {
	t.Helper()
	is := is.New(t)
	status, err := os.ReadFile("/proc/self/status")
	is.NoErr(err) // proc status readable
	field := func(name string) int64 {
		_, rest, found := bytes.Cut(status, []byte("\n"+name+":"))
		is.True(found) // the field is reported
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
		is.NoErr(err) // a number of kB
		return kb << 10
	}
	return rss{total: field("VmRSS"), file: field("RssFile"), peak: field("VmHWM")}
}

// settledRSS is readRSS after the garbage is collected and the free heap
// returned to the OS, so that what remains is live memory and mapped pages.
// It resets VmHWM to the current VmRSS, so that the next peak is the peak
// since this call.
func settledRSS(t *testing.T) rss {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	// "5" resets the peak resident set size (proc(5), clear_refs).
	is.New(t).NoErr(os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)) // reset VmHWM
	return readRSS(t)
}

// rssDocSize is about the size of a daemon transcript under load.
const rssDocSize = 8 << 10

// rssDoc fills buf with a distinct canonical document of rssDocSize bytes.
func rssDoc(buf []byte, n int64) []byte {
	buf = append(buf[:0], `{"sse":"`...)
	for len(buf) < rssDocSize-64 {
		buf = append(buf, "id: 1\\nevent: token\\ndata: {\\\"t\\\":\\\" word\\\"}\\n\\n"...)
	}
	buf = append(buf, `","task_id":"`...)
	buf = fmt.Appendf(buf, "01JTASK%019d", n)
	return append(buf, `"}`...)
}

// rssDocs is how many documents TestBoltStoreRSSStaysFlat stores: 20,000
// (160 MB), or 8,000 under the race detector, which would take 20 s for
// 20,000.
func rssDocs() int64 {
	if raceEnabled {
		return 8_000
	}
	return 20_000
}

// putRSSDocs stores documents from through to, distinct, from writers
// goroutines at once.
func putRSSDocs(t *testing.T, s artifacts.Store, from, to int64) {
	t.Helper()
	const writers = 64
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make([]error, writers)
	)
	next.Store(from - 1)
	for w := range writers {
		wg.Go(func() {
			var buf []byte
			for n := next.Add(1); n <= to; n = next.Add(1) {
				buf = rssDoc(buf, n)
				_, created, err := s.Put(context.Background(), artifacts.Artifact{Kind: artifacts.KindTranscript, Content: buf})
				if err == nil && !created {
					err = fmt.Errorf("document %d: not created", n)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	is.New(t).NoErr(errors.Join(errs...)) // every document stored
}

// TestBoltStoreRSSStaysFlat: thousands of concurrent Puts of distinct 8 KB
// documents, after a first quarter that brings the heap (and the race
// detector's shadow of it) to its working size, neither raise the process's
// resident memory much while they run (VmHWM) nor leave it higher. Every Put
// appends to the rightmost leaf of the documents' bucket and inserts into
// the small id index, and the store drops the file's pages from the process
// every 4 MB of documents, so the pages bbolt reads through its mmap do not
// pile up with the file. (Before, with the id as the key, every Put rewrote
// a random leaf and most of the file became resident: a peak 210 MB above
// the start over Puts 5,001 to 20,000.) Linux only: it reads /proc/self.
func TestBoltStoreRSSStaysFlat(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads VmRSS from /proc/self/status")
	}
	is := is.New(t)
	const maxGrowth = 64 << 20
	docs := rssDocs()
	s := openBolt(t, filepath.Join(t.TempDir(), "artifacts.db"))
	putRSSDocs(t, s, 1, docs/4)
	before := settledRSS(t)
	putRSSDocs(t, s, docs/4+1, docs)
	peak := readRSS(t).peak - before.total
	after := settledRSS(t)
	growth := after.total - before.total
	t.Logf("Puts %d to %d of %d KB: VmRSS peak %.1f MB above the start, %.1f MB more after (mapped file pages %+.1f MB)",
		docs/4+1, docs, rssDocSize>>10, float64(peak)/(1<<20), float64(growth)/(1<<20), float64(after.file-before.file)/(1<<20))
	is.True(peak < maxGrowth)   // resident memory stays flat while storing
	is.True(growth < maxGrowth) // and afterwards
}
