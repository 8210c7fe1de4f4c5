package artifacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// Sizes of BenchmarkBoltPutBatch: the daemon's situation, a store that holds
// tens of thousands of transcripts and a spool that writes a few of them per
// batch.
const (
	benchStoredDocs = 50_000
	benchBatchDocs  = 16
	benchFillBatch  = 1000
)

// transcripts returns n distinct transcript artifacts of about 6 KB, the
// task ids numbered from first.
func transcripts(first, n int) []artifacts.Artifact {
	meta := json.RawMessage(`{"engine":"llamacpp","model_ref":"hf:org/model","node_id":"n1","pool_id":"p1"}`)
	template := sseTranscriptDoc("")
	prefix := template[:len(template)-len(`""}`)]
	as := make([]artifacts.Artifact, n)
	for i := range as {
		task := fmt.Sprintf("01JTASK%019d", first+i)
		content := make([]byte, 0, len(prefix)+len(task)+3)
		content = append(append(append(append(content, prefix...), '"'), task...), '"', '}')
		as[i] = artifacts.Artifact{
			Kind: artifacts.KindTrace, Content: content, Metadata: meta,
			Tags: []string{"sse", "task:" + task},
		}
	}
	return as
}

// putAll stores as with PutBatch and fails b on any error.
func putAll(b *testing.B, s *artifacts.BoltStore, as []artifacts.Artifact) {
	for _, r := range s.PutBatch(context.Background(), as) {
		if r.Err != nil || !r.Created {
			b.Fatal(r.Err, r.Created)
		}
	}
}

// BenchmarkBoltPutBatch: one op is a PutBatch of benchBatchDocs transcripts
// of ~6 KB into a store that holds benchStoredDocs already, as the daemon's
// spool writes them. Besides the allocations it reports cpu-ns/op and
// wchar-B/op, the bytes the process handed to write(2) per batch (Linux
// only; 0 elsewhere).
func BenchmarkBoltPutBatch(b *testing.B) {
	s, err := artifacts.NewBoltStore(filepath.Join(b.TempDir(), "artifacts.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	}()
	for first := 0; first < benchStoredDocs; first += benchFillBatch {
		putAll(b, s, transcripts(first, benchFillBatch))
	}
	batches := make([][]artifacts.Artifact, b.N)
	for i := range batches {
		batches[i] = transcripts(benchStoredDocs+i*benchBatchDocs, benchBatchDocs)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, w0 := processCPU(), writtenBytes()
	for i := range b.N {
		putAll(b, s, batches[i])
		batches[i] = nil
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(writtenBytes()-w0)/float64(b.N), "wchar-B/op")
}

// writtenBytes returns how many bytes the process has passed to write
// system calls (wchar of /proc/self/io), or 0 where that is not available.
func writtenBytes() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("wchar:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}
