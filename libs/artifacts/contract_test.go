package artifacts_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

const fixedMs = 1_700_000_000_123

func fixedClock() time.Time { return time.UnixMilli(fixedMs) }

type storeFactory func(t *testing.T, opts ...artifacts.Option) artifacts.Store

// TestStoreContract runs one suite against every adapter of the Store port.
func TestStoreContract(t *testing.T) {
	adapters := []struct {
		name string
		new  storeFactory
	}{
		{"MemStore", func(t *testing.T, opts ...artifacts.Option) artifacts.Store {
			return artifacts.NewMemStore(opts...)
		}},
		{"FileStore", func(t *testing.T, opts ...artifacts.Option) artifacts.Store {
			s, err := artifacts.NewFileStore(t.TempDir(), opts...)
			is.New(t).NoErr(err) // open the file store
			return s
		}},
		{"BoltStore", func(t *testing.T, opts ...artifacts.Option) artifacts.Store {
			return openBolt(t, filepath.Join(t.TempDir(), "artifacts.db"), opts...)
		}},
	}
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) { runStoreContract(t, a.new) })
	}
}

func plan(content string) artifacts.Artifact {
	return artifacts.Artifact{Kind: artifacts.KindPlan, Content: json.RawMessage(content)}
}

func runStoreContract(t *testing.T, newStore storeFactory) {
	ctx := context.Background()

	t.Run("put then get", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t, artifacts.WithClock(fixedClock))
		in := plan(`{ "steps": [ "a", "b" ], "n": 1.50 }`)
		in.Tags = []string{"task:01J", "sse"}
		in.Metadata = json.RawMessage(`{"pool_id":"p1", "engine":"llamacpp"}`)
		in.Parent = strings.Repeat("ab", 32)
		want, err := artifacts.ID(in.Kind, in.Content)
		is.NoErr(err) // id of the document

		got, created, err := s.Put(ctx, in)
		is.NoErr(err)                                                          // stored
		is.True(created)                                                       // new document
		is.Equal(got.ID, want)                                                 // content address
		is.Equal(got.Digest, "sha256:"+want)                                   // digest
		is.Equal(got.CreatedMs, int64(fixedMs))                                // stamped by the clock
		is.Equal(string(got.Content), `{"n":1.5,"steps":["a","b"]}`)           // canonical content
		is.Equal(string(got.Metadata), `{"engine":"llamacpp","pool_id":"p1"}`) // canonical metadata
		is.Equal(got.Tags, []string{"task:01J", "sse"})                        // tags kept in order
		is.Equal(got.Parent, in.Parent)                                        // parent kept

		back, err := s.Get(ctx, got.ID)
		is.NoErr(err)       // found
		is.Equal(back, got) // the whole stored document
	})

	t.Run("same document twice is stored once", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t, artifacts.WithClock(fixedClock))
		first := plan(`{"a":1,"b":2}`)
		first.Tags = []string{"first"}
		a, created, err := s.Put(ctx, first)
		is.NoErr(err)    // first put
		is.True(created) // stored

		second := plan("{\n  \"b\": 2.0,\n  \"a\": 1\n}")
		second.Tags = []string{"second"}
		second.CreatedMs = 42
		b, created, err := s.Put(ctx, second)
		is.NoErr(err)                       // second put
		is.True(!created)                   // already stored
		is.Equal(b, a)                      // returns the stored document unchanged
		is.Equal(b.Tags, []string{"first"}) // the first document's tags
	})

	t.Run("caller's id, digest and created_ms", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t, artifacts.WithClock(fixedClock))
		id, err := artifacts.ID("diff", json.RawMessage(`"--- a\n+++ b"`))
		is.NoErr(err) // id
		in := artifacts.Artifact{ID: id, Digest: "sha256:" + id, Kind: "diff", Content: json.RawMessage(`"--- a\n+++ b"`), CreatedMs: 7}
		got, created, err := s.Put(ctx, in)
		is.NoErr(err)                     // matching id and digest accepted
		is.True(created)                  // stored
		is.Equal(got.CreatedMs, int64(7)) // the caller's timestamp is kept
		is.Equal(got.Tags, []string{})    // no tags is an empty list
	})

	t.Run("invalid documents", func(t *testing.T) {
		other := strings.Repeat("0", 64)
		tests := []struct {
			name string
			doc  artifacts.Artifact
		}{
			{"unknown kind", artifacts.Artifact{Kind: "image", Content: json.RawMessage(`{}`)}},
			{"empty kind", artifacts.Artifact{Content: json.RawMessage(`{}`)}},
			{"no content", plan(``)},
			{"null content", plan(` null `)},
			{"malformed content", plan(`{"a":}`)},
			{"duplicate keys", plan(`{"a":1,"a":1}`)},
			{"id mismatch", artifacts.Artifact{ID: other, Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"digest mismatch", artifacts.Artifact{Digest: "sha256:" + other, Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"digest without prefix", artifacts.Artifact{Digest: mustID(t, "plan", `{}`), Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"bad parent", artifacts.Artifact{Parent: "../x", Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"metadata not an object", artifacts.Artifact{Metadata: json.RawMessage(`[1]`), Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"malformed metadata", artifacts.Artifact{Metadata: json.RawMessage(`{`), Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"empty tag", artifacts.Artifact{Tags: []string{""}, Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"control character in tag", artifacts.Artifact{Tags: []string{"a\nb"}, Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"too many tags", artifacts.Artifact{Tags: make([]string, artifacts.MaxTags+1), Kind: "plan", Content: json.RawMessage(`{}`)}},
			{"negative created_ms", artifacts.Artifact{CreatedMs: -1, Kind: "plan", Content: json.RawMessage(`{}`)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				is := is.New(t)
				s := newStore(t)
				_, created, err := s.Put(ctx, tt.doc)
				is.True(errors.Is(err, artifacts.ErrInvalid)) // rejected
				is.True(!created)                             // nothing stored
			})
		}
	})

	t.Run("too large", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t, artifacts.WithMaxBytes(1024))
		_, _, err := s.Put(ctx, plan(`"`+strings.Repeat("x", 1024)+`"`))
		is.True(errors.Is(err, artifacts.ErrTooLarge)) // over the limit
		_, created, err := s.Put(ctx, plan(`"`+strings.Repeat("x", 512)+`"`))
		is.NoErr(err)    // under the limit
		is.True(created) // stored
	})

	t.Run("invalid ids", func(t *testing.T) {
		ids := []string{"", "../x", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("a", 59) + ".json"}
		for _, id := range ids {
			t.Run(id, func(t *testing.T) {
				is := is.New(t)
				_, err := newStore(t).Get(ctx, id)
				is.True(errors.Is(err, artifacts.ErrInvalidID)) // rejected before storage
			})
		}
	})

	t.Run("not found", func(t *testing.T) {
		is := is.New(t)
		_, err := newStore(t).Get(ctx, strings.Repeat("0", 64))
		is.True(errors.Is(err, artifacts.ErrNotFound)) // nothing stored under the id
	})

	t.Run("returned documents are copies", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		in := plan(`{"a":"b"}`)
		in.Tags = []string{"t"}
		got, _, err := s.Put(ctx, in)
		is.NoErr(err) // stored
		in.Tags[0] = "changed"
		got.Tags[0] = "changed"
		got.Content[2] = 'z'
		back, err := s.Get(ctx, got.ID)
		is.NoErr(err)                               // found
		is.Equal(back.Tags, []string{"t"})          // not aliased with input or output
		is.Equal(string(back.Content), `{"a":"b"}`) // content intact
	})

	t.Run("concurrent puts of the same document", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		const n = 16
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			created int
			ids     = map[string]int{}
			errs    []error
		)
		for range n {
			wg.Go(func() {
				got, c, err := s.Put(ctx, plan(`{"same":true}`))
				mu.Lock()
				defer mu.Unlock()
				errs = append(errs, err)
				ids[got.ID]++
				created += map[bool]int{true: 1}[c]
			})
		}
		wg.Wait()
		is.Equal(errors.Join(errs...), nil) // every put succeeded
		is.Equal(created, 1)                // exactly one created it
		is.Equal(len(ids), 1)               // all saw one id
	})

	t.Run("canceled context", func(t *testing.T) {
		is := is.New(t)
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := s.Put(cctx, plan(`{}`))
		is.True(errors.Is(err, context.Canceled)) // put stops
		_, err = s.Get(cctx, strings.Repeat("0", 64))
		is.True(errors.Is(err, context.Canceled)) // get stops
	})
}

func mustID(t *testing.T, kind, content string) string {
	t.Helper()
	id, err := artifacts.ID(kind, json.RawMessage(content))
	is.New(t).NoErr(err) // id
	return id
}
