package artifacts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// transcriptDoc builds a canonical transcript-like document of about 6 KB:
// 64 SSE frames {"data":{"i":n,"t":text},"event":"token","id":n} inside
// {"frames":[...],"task_id":taskID}.
func transcriptDoc(taskID string) []byte {
	words := []string{" word", " the", " orchestrator\n", " \"quoted\"", " café", " tokens", " 😀", " streaming"}
	doc := []byte(`{"frames":[`)
	for i := range 64 {
		if i > 0 {
			doc = append(doc, ',')
		}
		text := ""
		for j := range 6 {
			text += words[(i+j)%len(words)]
		}
		doc = append(doc, `{"data":{"i":`...)
		doc = strconv.AppendInt(doc, int64(i), 10)
		doc = append(doc, `,"t":`...)
		doc = artifacts.AppendString(doc, text)
		doc = append(doc, `},"event":"token","id":`...)
		doc = strconv.AppendInt(doc, int64(i+1), 10)
		doc = append(doc, '}')
	}
	doc = append(doc, `],"task_id":`...)
	doc = artifacts.AppendString(doc, taskID)
	return append(doc, '}')
}

// sseTranscriptDoc builds the document the daemon stores for a finished
// task: {"format":"text/event-stream","sse":<the SSE bytes>,"task_id":…},
// 64 token frames, about 6 KB.
func sseTranscriptDoc(taskID string) []byte {
	var sse []byte
	for i := range 64 {
		sse = fmt.Appendf(sse, "id: %d\nevent: token\ndata: {\"i\":%d,\"t\":\" word%d café\"}\n\n", i+1, i, i)
	}
	doc := []byte(`{"format":"text/event-stream","sse":`)
	doc = artifacts.AppendString(doc, string(sse))
	doc = append(doc, `,"task_id":`...)
	doc = artifacts.AppendString(doc, taskID)
	return append(doc, '}')
}

func BenchmarkCanonicalTranscript(b *testing.B) {
	doc := transcriptDoc("01JTASK0000000000000000000")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := artifacts.Canonical(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalSSETranscript(b *testing.B) {
	doc := sseTranscriptDoc("01JTASK0000000000000000000")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := artifacts.Canonical(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonicalTranscriptNonCanonical(b *testing.B) {
	var v any
	if err := json.Unmarshal(transcriptDoc("01JTASK0000000000000000000"), &v); err != nil {
		b.Fatal(err)
	}
	doc, err := json.MarshalIndent(v, "", " ") // whitespace forces the full path
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := artifacts.Canonical(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// putWriters is how many goroutines store transcripts at once in the Put
// benchmarks (per GOMAXPROCS), as tasks finish concurrently in the daemon.
const putWriters = 64

// benchPutParallel stores distinct transcript documents from parallel
// goroutines, as the daemon does when tasks finish. Besides ns/op (wall
// time per Put with putWriters×GOMAXPROCS writers) it reports cpu-ns/op, the
// process CPU time (user+system) per Put.
func benchPutParallel(b *testing.B, s artifacts.Store) {
	ctx := context.Background()
	meta := json.RawMessage(`{"engine":"llamacpp","model_ref":"hf:org/model","node_id":"n1","pool_id":"p1"}`)
	// Every Put stores a distinct document: the same frames, another task id
	// (the documents are built cheaply so that the figures are the store's).
	template := sseTranscriptDoc("")
	prefix := template[:len(template)-len(`""}`)]
	var seq atomic.Int64
	b.SetBytes(int64(len(template) + 26))
	b.SetParallelism(putWriters)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			task := fmt.Sprintf("01JTASK%019d", seq.Add(1))
			content := make([]byte, 0, len(prefix)+len(task)+3)
			content = append(append(append(append(content, prefix...), '"'), task...), '"', '}')
			_, created, err := s.Put(ctx, artifacts.Artifact{
				Kind: artifacts.KindTrace, Content: content, Metadata: meta,
				Tags: []string{"sse", "task:" + task},
			})
			if err != nil || !created {
				b.Error(err, created)
				return
			}
		}
	})
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkMemPutParallel is the cost of a Put without storage: validation,
// canonical form, hashing and encoding.
func BenchmarkMemPutParallel(b *testing.B) {
	benchPutParallel(b, artifacts.NewMemStore())
}

func BenchmarkFilePutParallel(b *testing.B) {
	s, err := artifacts.NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchPutParallel(b, s)
}

func BenchmarkBoltPutParallel(b *testing.B) {
	s, err := artifacts.NewBoltStore(filepath.Join(b.TempDir(), "artifacts.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	}()
	benchPutParallel(b, s)
}

// BenchmarkBoltSpool stores transcripts as the daemon does: through a Spool
// (5 ms linger) in front of a BoltStore, from many producers at once. It
// reports the process CPU per transcript (cpu-ns/op) and the allocations,
// which the GC pays for.
func BenchmarkBoltSpool(b *testing.B) {
	s, err := artifacts.NewBoltStore(filepath.Join(b.TempDir(), "artifacts.db"))
	if err != nil {
		b.Fatal(err)
	}
	sp := artifacts.NewSpool(s, 4<<20, artifacts.WithLinger(5*time.Millisecond))
	meta := json.RawMessage(`{"engine":"llamacpp","model_ref":"hf:org/model","node_id":"n1","pool_id":"p1"}`)
	template := sseTranscriptDoc("")
	prefix := template[:len(template)-len(`""}`)]
	var seq atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(template) + 26))
	b.SetParallelism(putWriters)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			task := fmt.Sprintf("01JTASK%019d", seq.Add(1))
			content := make([]byte, 0, len(prefix)+len(task)+3)
			content = append(append(append(append(content, prefix...), '"'), task...), '"', '}')
			wg.Add(1)
			sp.Submit(artifacts.Artifact{
				Kind: artifacts.KindTrace, Content: content, Metadata: meta,
				Tags: []string{"sse", "task:" + task},
			}, func(r artifacts.PutResult) {
				if r.Err != nil {
					b.Error(r.Err)
				}
				wg.Done()
			})
			if err := sp.WaitRoom(context.Background()); err != nil {
				b.Error(err)
			}
		}
	})
	wg.Wait()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.StopTimer()
	if err := sp.Close(context.Background()); err != nil {
		b.Error(err)
	}
	if err := s.Close(); err != nil {
		b.Error(err)
	}
}

// BenchmarkAppendBytesSSE escapes a 64-token event stream into a JSON string,
// as the daemon does for every transcript.
func BenchmarkAppendBytesSSE(b *testing.B) {
	var sse []byte
	for i := range 64 {
		sse = fmt.Appendf(sse, "id: %d\nevent: token\ndata: {\"i\":%d,\"t\":\" word%d café\"}\n\n", i+1, i, i)
	}
	dst := make([]byte, 0, 2*len(sse))
	b.SetBytes(int64(len(sse)))
	b.ReportAllocs()
	for b.Loop() {
		dst = artifacts.AppendBytes(dst[:0], sse)
	}
}
