package streaming_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/orchestratord/orchestratord/libs/streaming"
)

// streamTokens is the length of one benchmark stream (performance.md uses
// 64-token streams); a fresh log per stream keeps memory bounded.
const streamTokens = 64

func tokenBatch(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = " token"
	}
	return texts
}

// BenchmarkAppendTokens reports the cost of one token frame (one op), with
// the engine's tokens arriving in batches of the given size and a new log
// every 64 tokens (its allocation included).
func BenchmarkAppendTokens(b *testing.B) {
	for _, batch := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			texts := tokenBatch(batch)
			b.ReportAllocs()
			log := streaming.NewLog()
			for i := 0; i < b.N; i += batch {
				if log.Tokens() >= streamTokens {
					log = streaming.NewLog()
				}
				if _, err := log.AppendTokens(texts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// finishedStream returns a finished log of n token frames.
func finishedStream(b *testing.B, n int) *streaming.Log {
	b.Helper()
	log := streaming.NewLog()
	if _, err := log.AppendTokens(tokenBatch(n)); err != nil {
		b.Fatal(err)
	}
	if _, err := log.Finish(endFrame); err != nil {
		b.Fatal(err)
	}
	return log
}

// BenchmarkServeCatchUp serves a finished 64-token stream into io.Discard
// (a late reader): one op is one whole stream.
func BenchmarkServeCatchUp(b *testing.B) {
	log := finishedStream(b, streamTokens)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := streaming.Serve(ctx, io.Discard, nil, log, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(streamTokens+1)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkServeLive serves 64-token streams while a writer appends them in
// batches: one op is one whole stream, writer and reader included.
func BenchmarkServeLive(b *testing.B) {
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			texts := tokenBatch(batch)
			ctx := context.Background()
			flushes := 0
			flush := func() error { flushes++; return nil }
			b.ReportAllocs()
			for b.Loop() {
				log := streaming.NewLog()
				errc := make(chan error, 1)
				go func() { errc <- streaming.Serve(ctx, io.Discard, flush, log, 0) }()
				for range streamTokens / batch {
					if _, err := log.AppendTokens(texts); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := log.Finish(endFrame); err != nil {
					b.Fatal(err)
				}
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(streamTokens+1)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(flushes)/float64(b.N), "flushes/stream")
		})
	}
}

// BenchmarkServeIdleToken is the idle path: the reader waits, one token is
// appended, the reader wakes, writes and flushes it, and only then is the
// next token appended. One op is one token's round trip.
func BenchmarkServeIdleToken(b *testing.B) {
	log := streaming.NewLog()
	flushed := make(chan struct{}, 1)
	flush := func() error { flushed <- struct{}{}; return nil }
	errc := make(chan error, 1)
	go func() { errc <- streaming.Serve(context.Background(), io.Discard, flush, log, 0) }()
	texts := tokenBatch(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := log.AppendTokens(texts); err != nil {
			b.Fatal(err)
		}
		<-flushed
	}
	if _, err := log.Finish(endFrame); err != nil {
		b.Fatal(err)
	}
	<-flushed
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTaskLog is the life of one task's log in the daemon: created
// by the hub at admission with its started frame, sized for its 64
// max_tokens when it starts, the tokens in batches of 8 with the verbose
// metrics frame after the first batch, the terminal frame, and SSE read
// for the transcript. One op is one task.
func BenchmarkTaskLog(b *testing.B) {
	hub := streaming.NewHub(time.Minute)
	texts := tokenBatch(8)
	started := []byte(`{"queue_position":0,"predicted_start_ms":0,"pool_id":"sim-0","engine":"vllm"}`)
	metrics := []byte(`{"queue_depth":0,"on_time_probability":1,"kv_warmth":false}`)
	verbose := []byte(`{"queue_depth":0,"on_time_probability":1,"kv_warmth":false,"human":"first token after 1ms"}`)
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("task-%d", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := ids[i%len(ids)]
		hub.Delete(id)
		log, err := hub.Create(id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := log.Append("started", started); err != nil {
			b.Fatal(err)
		}
		log.Grow(taskLogHint(streamTokens))
		for j := range streamTokens / len(texts) {
			if _, err := log.AppendTokens(texts); err != nil {
				b.Fatal(err)
			}
			if j == 0 {
				if _, err := log.AppendVerbose("metrics", metrics, verbose); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := log.Finish(endFrame); err != nil {
			b.Fatal(err)
		}
		if len(log.SSE()) == 0 {
			b.Fatal("empty log")
		}
	}
}

// BenchmarkRestore restores a finished 64-token stream from its transcript
// bytes, as a late reader after the log left memory: one op is one stream.
func BenchmarkRestore(b *testing.B) {
	sse := finishedStream(b, streamTokens).SSE()
	in := make([]byte, len(sse))
	b.ReportAllocs()
	for b.Loop() {
		copy(in, sse) // the transcript's bytes, fresh for every reader
		if _, err := streaming.Restore(in, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
