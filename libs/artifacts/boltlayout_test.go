package artifacts_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

// seqKey is a key of bucket "docs": the 8-byte big-endian sequence number.
func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// rawKey is a key of bucket "ids": the 32 bytes the id spells in hex.
func rawKey(t *testing.T, id string) []byte {
	t.Helper()
	key, err := hex.DecodeString(id)
	is.New(t).NoErr(err) // the raw id
	return key
}

// inspectBolt opens the closed store file at path and runs fn in a
// transaction that run ((*bolt.DB).View or Update) starts.
func inspectBolt(t *testing.T, path string, run func(*bolt.DB, func(*bolt.Tx) error) error, fn func(tx *bolt.Tx) error) {
	t.Helper()
	is := is.New(t)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	is.NoErr(err)         // open the file directly
	is.NoErr(run(db, fn)) // inspect it
	is.NoErr(db.Close())  // close it
}

// TestBoltStoreLayout: documents are appended to bucket "docs" under
// sequence numbers 1, 2, 3… in the order they were stored; once Close has
// merged the pending ids, bucket "ids" maps each raw id to its sequence
// number and the mark names the last; a document stored already appends
// nothing.
func TestBoltStoreLayout(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := artifacts.NewBoltStore(path, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open
	var stored []string
	for _, content := range []string{`{"n":1}`, `{"n":2}`, `{ "n": 1.0 }`, `{"n":3}`} {
		a, created, err := s.Put(ctx, plan(content))
		is.NoErr(err) // stored
		stored = append(stored, map[bool]string{true: a.ID}[created])
	}
	is.Equal(stored[2], "") // the third is the first again
	is.NoErr(s.Close())     // close

	type entry struct {
		seq []byte
		id  string
	}
	var docs []entry
	inspectBolt(t, path, (*bolt.DB).View, func(tx *bolt.Tx) error {
		is.Equal(tx.Bucket([]byte("artifacts")), nil) // no bucket of the earlier layout
		is.NoErr(tx.Bucket([]byte("docs")).ForEach(func(k, v []byte) error {
			var a artifacts.Artifact
			err := json.Unmarshal(v, &a)
			docs = append(docs, entry{bytes.Clone(k), a.ID})
			return err
		})) // every value is a document
		ids := tx.Bucket([]byte("ids"))
		is.Equal(ids.Stats().KeyN, 3)                                                 // one index entry per document
		is.Equal(ids.Get(rawKey(t, stored[0])), seqKey(1))                            // first
		is.Equal(ids.Get(rawKey(t, stored[1])), seqKey(2))                            // second
		is.Equal(ids.Get(rawKey(t, stored[3])), seqKey(3))                            // third
		is.Equal(ids.Get(rawKey(t, stored[0])[:16]), []byte(nil))                     // keys are the whole 32 bytes
		is.Equal(tx.Bucket([]byte("meta")).Get([]byte("indexed_through")), seqKey(3)) // indexed through the third
		return nil
	})
	is.Equal(docs, []entry{{seqKey(1), stored[0]}, {seqKey(2), stored[1]}, {seqKey(3), stored[3]}}) // appended in order
}

// legacyValue is a document as the earlier BoltStore stored it (what
// json.Encoder with HTML escaping off writes).
func legacyValue(t *testing.T, a artifacts.Artifact) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	is.New(t).NoErr(enc.Encode(a)) // encode
	return buf.Bytes()
}

// TestBoltStoreReadsEarlierLayout: a file with bucket "artifacts" (key the
// hex id) is read as before, its documents count as stored, a corrupt one is
// replaced by a document in the new buckets, and new documents go there.
func TestBoltStoreReadsEarlierLayout(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	mem := artifacts.NewMemStore(artifacts.WithClock(fixedClock))
	oldIn := plan(`{"old":1}`)
	oldIn.Tags = []string{"legacy", "<html>&"}
	old, _, err := mem.Put(ctx, oldIn)
	is.NoErr(err) // a document of the earlier layout
	bad, _, err := mem.Put(ctx, plan(`{"old":2}`))
	is.NoErr(err) // and one that will be corrupt
	inspectBolt(t, path, (*bolt.DB).Update, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("artifacts"))
		is.NoErr(err)                                                    // the earlier bucket
		is.NoErr(b.Put([]byte(old.ID), legacyValue(t, old)))             // a document
		is.NoErr(b.Put([]byte(bad.ID), []byte(`{"id":"not the same"}`))) // a corrupt one
		return nil
	})

	s := openBolt(t, path, artifacts.WithClock(fixedClock))
	got, err := s.Get(ctx, old.ID)
	is.NoErr(err)      // read from the earlier bucket
	is.Equal(got, old) // as stored
	again, created, err := s.Put(ctx, plan(`{ "old": 1 }`))
	is.NoErr(err)        // put again
	is.True(!created)    // stored already
	is.Equal(again, old) // the stored document, its tags kept
	_, err = s.Get(ctx, bad.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt)) // checked against its id
	healed, created, err := s.Put(ctx, plan(`{"old":2}`))
	is.NoErr(err)    // a put of the corrupt one
	is.True(created) // replaces it
	got, err = s.Get(ctx, bad.ID)
	is.NoErr(err)         // readable again
	is.Equal(got, healed) // the new document
	fresh, created, err := s.Put(ctx, plan(`{"new":1}`))
	is.NoErr(err)       // a new document
	is.True(created)    // stored
	is.NoErr(s.Close()) // close

	inspectBolt(t, path, (*bolt.DB).View, func(tx *bolt.Tx) error {
		legacy, ids := tx.Bucket([]byte("artifacts")), tx.Bucket([]byte("ids"))
		is.True(legacy.Get([]byte(old.ID)) != nil)          // the earlier document stays where it was
		is.Equal(legacy.Get([]byte(bad.ID)), []byte(nil))   // the corrupt one is gone from there
		is.Equal(ids.Get(rawKey(t, old.ID)), []byte(nil))   // and not copied
		is.Equal(ids.Get(rawKey(t, bad.ID)), seqKey(1))     // the replacement is in the new buckets
		is.Equal(ids.Get(rawKey(t, fresh.ID)), seqKey(2))   // and so is the new document
		is.Equal(tx.Bucket([]byte("docs")).Stats().KeyN, 2) // nothing else
		return nil
	})
}

// TestBoltStoreRepairsDanglingIndex: an index entry whose document is
// missing reads as corrupt, and a Put of the document stores it again.
func TestBoltStoreRepairsDanglingIndex(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := artifacts.NewBoltStore(path)
	is.NoErr(err) // open
	a, _, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err)       // stored
	is.NoErr(s.Close()) // close
	inspectBolt(t, path, (*bolt.DB).Update, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("docs")).Delete(seqKey(1))
	})

	s = openBolt(t, path)
	_, err = s.Get(ctx, a.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt)) // the index names a missing document
	healed, created, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err)    // a put of the same document
	is.True(created) // stores it again
	got, err := s.Get(ctx, a.ID)
	is.NoErr(err)         // readable again
	is.Equal(got, healed) // the stored document
}

// TestBoltStoreOpensPerPutIndex: a file written when bucket "ids" was
// updated in each document's transaction, without the mark, serves every
// document, knows them as stored, accepts new ones and gets the mark.
func TestBoltStoreOpensPerPutIndex(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	mem := artifacts.NewMemStore(artifacts.WithClock(fixedClock))
	var old []artifacts.Artifact
	for i := range 20 {
		a, _, err := mem.Put(ctx, plan(fmt.Sprintf(`{"old":%d}`, i)))
		is.NoErr(err) // a document
		old = append(old, a)
	}
	inspectBolt(t, path, (*bolt.DB).Update, func(tx *bolt.Tx) error {
		docs, err := tx.CreateBucket([]byte("docs"))
		is.NoErr(err) // the documents' bucket
		ids, err := tx.CreateBucket([]byte("ids"))
		is.NoErr(err) // the index
		for _, a := range old {
			n, err := docs.NextSequence()
			is.NoErr(err)                                    // next sequence number
			is.NoErr(docs.Put(seqKey(n), legacyValue(t, a))) // the document
			is.NoErr(ids.Put(rawKey(t, a.ID), seqKey(n)))    // and its id, as each Put wrote them
		}
		return nil
	})

	s, err := artifacts.NewBoltStore(path, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open
	for _, a := range old {
		got, err := s.Get(ctx, a.ID)
		is.NoErr(err)    // served from "ids"
		is.Equal(got, a) // as stored
	}
	again, created, err := s.Put(ctx, plan(`{"old":7}`))
	is.NoErr(err)           // put again
	is.True(!created)       // stored already
	is.Equal(again, old[7]) // the stored document
	fresh, created, err := s.Put(ctx, plan(`{"new":1}`))
	is.NoErr(err)    // a new document
	is.True(created) // stored
	got, err := s.Get(ctx, fresh.ID)
	is.NoErr(err)        // served from the pending ids
	is.Equal(got, fresh) // as stored
	is.NoErr(s.Close())  // merges it

	inspectBolt(t, path, (*bolt.DB).View, func(tx *bolt.Tx) error {
		is.Equal(tx.Bucket([]byte("meta")).Get([]byte("indexed_through")), seqKey(21)) // indexed throughout
		is.Equal(tx.Bucket([]byte("ids")).Get(rawKey(t, fresh.ID)), seqKey(21))        // the new one merged
		is.Equal(tx.Bucket([]byte("ids")).Stats().KeyN, 21)                            // once each
		return nil
	})
	reopened := openBolt(t, path)
	for _, a := range append(old, fresh) {
		got, err := reopened.Get(ctx, a.ID)
		is.NoErr(err)    // found after reopening
		is.Equal(got, a) // as stored
	}
}
