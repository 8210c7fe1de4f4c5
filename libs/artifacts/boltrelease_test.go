package artifacts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/matryer/is"
)

// mappedRSS returns how much of the file at path is resident in this
// process through its mappings (the Rss of its entries in /proc/self/smaps).
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	is := is.New(t)
	smaps, err := os.ReadFile("/proc/self/smaps")
	is.NoErr(err) // smaps readable
	var total int64
	for _, entry := range bytes.Split(smaps, []byte(" "+path+"\n"))[1:] {
		_, rest, found := bytes.Cut(entry, []byte("\nRss:"))
		is.True(found) // each mapping reports its Rss
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(line), []byte("kB")))), 10, 64)
		is.NoErr(err) // a number of kB
		total += kb << 10
	}
	return total
}

// putRead stores n distinct documents in s and reads them all back.
func putRead(t *testing.T, s *BoltStore, n int) []Artifact {
	t.Helper()
	is := is.New(t)
	ctx := context.Background()
	docs := make([]Artifact, n)
	for i := range docs {
		a, _, err := s.Put(ctx, Artifact{Kind: KindLogs, Content: fmt.Appendf(nil, `{"i":%d,"pad":"%04000d"}`, i, 0)})
		is.NoErr(err) // stored
		docs[i] = a
	}
	for _, a := range docs {
		got, err := s.Get(ctx, a.ID)
		is.NoErr(err)    // found
		is.Equal(got, a) // intact
	}
	return docs
}

// TestBoltStoreReleaseKeepsDocuments: after the mapped pages are released
// every document reads as before, and a release on a closed store does
// nothing.
func TestBoltStoreReleaseKeepsDocuments(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s, err := NewBoltStore(filepath.Join(t.TempDir(), "artifacts.db"))
	is.NoErr(err) // open
	docs := putRead(t, s, 40)
	s.touched.Store(boltReleaseBytes - 1)
	s.noteTouched(1)                     // crosses the threshold
	is.Equal(s.touched.Load(), int64(0)) // which starts again
	for _, a := range docs {
		got, err := s.Get(ctx, a.ID)
		is.NoErr(err)    // found after the release
		is.Equal(got, a) // intact
	}
	is.NoErr(s.Close()) // close
	s.release()         // a closed store has nothing to release
}

// TestBoltStoreReleaseDropsMappedPages: the pages that reads faulted in
// through bbolt's mmap leave the process's resident set on release.
func TestBoltStoreReleaseDropsMappedPages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("release is a no-op outside Linux; reads /proc/self/smaps")
	}
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := NewBoltStore(path)
	is.NoErr(err)                          // open
	defer func() { is.NoErr(s.Close()) }() // close
	putRead(t, s, 40)
	faulted := mappedRSS(t, path)
	is.True(faulted >= 100<<10) // the reads faulted in the documents' pages
	s.release()
	released := mappedRSS(t, path)
	t.Logf("mapped pages resident: %d KB after the reads, %d KB after the release", faulted>>10, released>>10)
	is.True(released < faulted/4) // released
}
