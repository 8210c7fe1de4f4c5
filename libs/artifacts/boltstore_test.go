package artifacts_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// openBolt opens a BoltStore that is closed when the test ends.
func openBolt(t *testing.T, path string, opts ...artifacts.Option) *artifacts.BoltStore {
	t.Helper()
	s, err := artifacts.NewBoltStore(path, opts...)
	is.New(t).NoErr(err) // open the bolt store
	t.Cleanup(func() {
		is.New(t).NoErr(s.Close()) // close the bolt store
	})
	return s
}

func TestBoltStoreReopen(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "artifacts.db")
	s, err := artifacts.NewBoltStore(path, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open, creating the directory
	in := plan(`{"<html>":"a & b","n":[1e21,0.1,-0],"s":"\u2028"}`)
	in.Tags = []string{"sse", "task:1", "quote\"d", "line\u2028sep"}
	in.Metadata = []byte(`{"engine":"vllm"}`)
	first, _, err := s.Put(ctx, in)
	is.NoErr(err) // stored
	second, _, err := s.Put(ctx, plan(`["another"]`))
	is.NoErr(err)       // stored
	is.NoErr(s.Close()) // close
	is.NoErr(s.Close()) // a second close is harmless
	_, err = s.Get(ctx, first.ID)
	is.True(err != nil) // a closed store reads nothing

	reopened := openBolt(t, path)
	got, err := reopened.Get(ctx, first.ID)
	is.NoErr(err)                                                                                // found after reopening
	is.Equal(got, first)                                                                         // the same document
	is.Equal(string(got.Content), "{\"<html>\":\"a & b\",\"n\":[1e+21,0.1,0],\"s\":\"\u2028\"}") // canonical bytes survive
	got, err = reopened.Get(ctx, second.ID)
	is.NoErr(err)         // the other one too
	is.Equal(got, second) // unchanged
	_, created, err := reopened.Put(ctx, plan(`{"s":"\u2028","n":[1e21,0.1,-0],"<html>":"a & b"}`))
	is.NoErr(err)     // put again
	is.True(!created) // known after reopening
}

// TestBoltStoreConcurrentPuts: 200 Puts at once, 50 distinct documents each
// put 4 times, share transactions; each document is created exactly once and
// everything Put returned is there after a reopen.
func TestBoltStoreConcurrentPuts(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := artifacts.NewBoltStore(path, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open
	const puts, distinct = 200, 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		created = map[string]int{}
		stored  = map[string]artifacts.Artifact{}
		seen    = map[string][]artifacts.Artifact{}
	)
	for i := range puts {
		wg.Go(func() {
			in := artifacts.Artifact{
				Kind:    artifacts.KindTrace,
				Content: transcriptDoc(fmt.Sprintf("task-%02d", i%distinct)),
				Tags:    []string{"sse"},
			}
			got, c, err := s.Put(ctx, in)
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
			seen[got.ID] = append(seen[got.ID], got)
			if c {
				created[got.ID]++
				stored[got.ID] = got
			}
		})
	}
	wg.Wait()
	is.Equal(errors.Join(errs...), nil) // every put succeeded
	is.Equal(len(seen), distinct)       // one id per distinct document
	is.Equal(len(created), distinct)    // each was created
	for id, n := range created {
		is.Equal(n, 1) // by exactly one put
		for _, got := range seen[id] {
			is.Equal(got, stored[id]) // the others got the stored document
		}
	}
	is.NoErr(s.Close()) // close

	reopened := openBolt(t, path)
	for id, want := range stored {
		got, err := reopened.Get(ctx, id)
		is.NoErr(err)       // durable
		is.Equal(got, want) // as Put returned it
	}
}

func TestBoltStoreLocked(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := artifacts.NewBoltStore(path)
	is.NoErr(err) // the first open takes the lock

	_, err = artifacts.NewBoltStore(path, artifacts.WithLockTimeout(20*time.Millisecond))
	is.True(errors.Is(err, artifacts.ErrLocked)) // a second open gives up
	is.True(strings.Contains(err.Error(), path)) // and names the file

	is.NoErr(s.Close()) // release the lock
	openBolt(t, path, artifacts.WithLockTimeout(20*time.Millisecond))
}

func TestBoltStoreInvalidIDNeverTouchesDB(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s, err := artifacts.NewBoltStore(filepath.Join(t.TempDir(), "artifacts.db"))
	is.NoErr(err) // open
	// A closed store fails any access, so ErrInvalidID proves validation
	// came first.
	is.NoErr(s.Close()) // close

	_, err = s.Get(ctx, "../artifacts.db")
	is.True(errors.Is(err, artifacts.ErrInvalidID)) // traversal rejected before the db
	_, err = s.Get(ctx, strings.Repeat("A", 64))
	is.True(errors.Is(err, artifacts.ErrInvalidID)) // uppercase rejected before the db
	_, err = s.Get(ctx, strings.Repeat("0", 64))
	is.True(err != nil)                              // a valid id does reach the db
	is.True(!errors.Is(err, artifacts.ErrInvalidID)) // and passes validation
	is.True(!errors.Is(err, artifacts.ErrNotFound))  // and fails on the closed db
	_, _, err = s.Put(ctx, plan(`{}`))
	is.True(err != nil) // a closed store writes nothing
}

// tamper replaces the stored document of id in the closed store file at
// path: it follows bucket "ids" to the document's sequence number in "docs".
func tamper(t *testing.T, path, id string, edit func([]byte) []byte) {
	t.Helper()
	is := is.New(t)
	key, err := hex.DecodeString(id)
	is.NoErr(err) // the raw id
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	is.NoErr(err) // open the file directly
	is.NoErr(db.Update(func(tx *bolt.Tx) error {
		seq := tx.Bucket([]byte("ids")).Get(key)
		docs := tx.Bucket([]byte("docs"))
		return docs.Put(seq, edit(docs.Get(seq)))
	})) // rewrite the value
	is.NoErr(db.Close()) // close it
}

func TestBoltStoreDetectsCorruption(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := artifacts.NewBoltStore(path)
	is.NoErr(err) // open
	a, _, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err)       // stored
	is.NoErr(s.Close()) // close

	tamper(t, path, a.ID, func(v []byte) []byte { return []byte(strings.Replace(string(v), `{"v":1}`, `{"v":2}`, 1)) })
	s = openBolt(t, path)
	_, err = s.Get(ctx, a.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt)) // content no longer hashes to the id
	is.NoErr(s.Close())                           // close

	tamper(t, path, a.ID, func([]byte) []byte { return []byte(`not json`) })
	s = openBolt(t, path)
	_, err = s.Get(ctx, a.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt)) // unparsable value

	healed, created, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err)    // a put of the same document
	is.True(created) // rewrites the corrupt value
	got, err := s.Get(ctx, a.ID)
	is.NoErr(err)         // readable again
	is.Equal(got, healed) // the rewritten document
}

func TestNewBoltStoreErrors(t *testing.T) {
	is := is.New(t)
	_, err := artifacts.NewBoltStore("")
	is.True(errors.Is(err, artifacts.ErrInvalid)) // a path is required

	dir := t.TempDir()
	_, err = artifacts.NewBoltStore(dir)
	is.True(err != nil) // a directory is not a store file

	file := filepath.Join(dir, "file")
	is.NoErr(os.WriteFile(file, []byte(strings.Repeat("not a bolt file ", 512)), 0o600)) // garbage
	_, err = artifacts.NewBoltStore(file)
	is.True(err != nil) // not a bbolt file
	_, err = artifacts.NewBoltStore(filepath.Join(file, "artifacts.db"))
	is.True(err != nil) // its directory cannot be created
}

func TestBoltStoreKeepsMetadataAndParent(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := openBolt(t, filepath.Join(t.TempDir(), "artifacts.db"), artifacts.WithClock(fixedClock))
	in := artifacts.Artifact{
		Kind: artifacts.KindSummary, Content: json.RawMessage(`"done"`),
		Parent: strings.Repeat("cd", 32), Metadata: json.RawMessage(`{"b":[1.0],"a":null}`),
	}
	got, created, err := s.Put(ctx, in)
	is.NoErr(err)                                        // stored
	is.True(created)                                     // new
	is.Equal(string(got.Metadata), `{"a":null,"b":[1]}`) // canonical metadata
	back, err := s.Get(ctx, got.ID)
	is.NoErr(err)       // found
	is.Equal(back, got) // parent and metadata kept
}
