package artifacts

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"
)

// withMergeAt makes a BoltStore merge its pending ids into "ids" once it
// holds n of them.
func withMergeAt(n int) Option { return func(o *options) { o.mergeAt = n } }

// openIndexed opens a BoltStore at path that merges every mergeAt ids and is
// closed when the test ends.
func openIndexed(t *testing.T, path string, mergeAt int) *BoltStore {
	t.Helper()
	s, err := NewBoltStore(path, withMergeAt(mergeAt))
	is.New(t).NoErr(err) // open the bolt store
	t.Cleanup(func() {
		is.New(t).NoErr(s.Close()) // close the bolt store
	})
	return s
}

// logDoc is the i-th of a series of distinct small documents.
func logDoc(i int) Artifact {
	return Artifact{Kind: KindLogs, Content: fmt.Appendf(nil, `{"i":%d}`, i), CreatedMs: 1}
}

// putDocs stores documents first..first+n-1 one Put at a time.
func putDocs(t *testing.T, s *BoltStore, first, n int) []Artifact {
	t.Helper()
	is := is.New(t)
	out := make([]Artifact, n)
	for i := range out {
		a, created, err := s.Put(context.Background(), logDoc(first+i))
		is.NoErr(err)    // stored
		is.True(created) // new
		out[i] = a
	}
	return out
}

// indexState is what the file holds of the index, and the pending ids.
type indexState struct {
	pending, indexed int
	mark             uint64
}

func stateOf(t *testing.T, s *BoltStore) indexState {
	t.Helper()
	st := indexState{pending: s.idx.size()}
	is.New(t).NoErr(s.db.View(func(tx *bolt.Tx) error {
		st.indexed = tx.Bucket([]byte(boltIDsBucket)).Stats().KeyN
		st.mark = binary.BigEndian.Uint64(tx.Bucket([]byte(boltMetaBucket)).Get([]byte(boltMarkKey)))
		return nil
	})) // read the buckets
	return st
}

// mustServe checks that s returns every one of want.
func mustServe(t *testing.T, s *BoltStore, want []Artifact) {
	t.Helper()
	is := is.New(t)
	for _, a := range want {
		got, err := s.Get(context.Background(), a.ID)
		is.NoErr(err)    // found
		is.Equal(got, a) // as stored
	}
}

// TestBoltIndexMergesAtThreshold: ids wait in memory, served from there,
// until mergeAt of them are pending; the write that brings them there
// merges them all into "ids" and advances the mark.
func TestBoltIndexMergesAtThreshold(t *testing.T) {
	tests := []struct {
		name string
		puts int
		want indexState
	}{
		{"below the threshold", 7, indexState{pending: 7, indexed: 0, mark: 0}},
		{"at the threshold", 8, indexState{pending: 0, indexed: 8, mark: 8}},
		{"past the threshold", 11, indexState{pending: 3, indexed: 8, mark: 8}},
		{"twice the threshold", 16, indexState{pending: 0, indexed: 16, mark: 16}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 8)
			stored := putDocs(t, s, 0, tt.puts)
			is.Equal(stateOf(t, s), tt.want) // pending, indexed, mark
			mustServe(t, s, stored)
		})
	}
}

// TestBoltIndexPutBatchMerges: a PutBatch that brings the pending ids to the
// threshold merges them, its own included, in its transaction.
func TestBoltIndexPutBatchMerges(t *testing.T) {
	is := is.New(t)
	s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 8)
	stored := putDocs(t, s, 0, 5)
	var batch []Artifact
	for i := range 6 {
		batch = append(batch, logDoc(100+i))
	}
	for _, r := range s.PutBatch(context.Background(), batch) {
		is.NoErr(r.Err)    // stored
		is.True(r.Created) // new
		stored = append(stored, r.Artifact)
	}
	is.Equal(stateOf(t, s), indexState{pending: 3, indexed: 8, mark: 8}) // merged when the eighth was stored
	mustServe(t, s, stored)
}

// TestBoltIndexDedupAcrossPendingAndMerged: a document stored already,
// whether its id is merged or pending, or stored earlier in the same batch,
// is returned with created=false and not stored again.
func TestBoltIndexDedupAcrossPendingAndMerged(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 4)
	stored := putDocs(t, s, 0, 5) // 0-3 merged, 4 pending
	is.Equal(stateOf(t, s), indexState{pending: 1, indexed: 4, mark: 4})

	again, created, err := s.Put(ctx, logDoc(0))
	is.NoErr(err)              // put of a merged document
	is.True(!created)          // known
	is.Equal(again, stored[0]) // the stored one
	again, created, err = s.Put(ctx, logDoc(4))
	is.NoErr(err)              // put of a pending document
	is.True(!created)          // known
	is.Equal(again, stored[4]) // the stored one

	res := s.PutBatch(ctx, []Artifact{logDoc(1), logDoc(4), logDoc(9), logDoc(9)})
	got := make([]bool, len(res))
	for i, r := range res {
		is.NoErr(r.Err) // each succeeds
		got[i] = r.Created
	}
	is.Equal(got, []bool{false, false, true, false})                     // only the new one, once
	is.Equal(res[3].Artifact, res[2].Artifact)                           // the duplicate gets the first
	is.Equal(stateOf(t, s), indexState{pending: 2, indexed: 4, mark: 4}) // one more document pending
}

// TestBoltIndexReplacesCorruptPending: a pending document that no longer
// hashes to its id reads as corrupt, and a Put of it overwrites it where it
// is.
func TestBoltIndexReplacesCorruptPending(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 8)
	stored := putDocs(t, s, 0, 2)
	is.NoErr(s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(boltDocsBucket)).Put(binary.BigEndian.AppendUint64(nil, 2), []byte(`not json`))
	})) // damage the second document
	_, err := s.Get(ctx, stored[1].ID)
	is.True(errors.Is(err, ErrCorrupt)) // detected

	healed, created, err := s.Put(ctx, logDoc(1))
	is.NoErr(err)                                                        // put again
	is.True(created)                                                     // rewritten
	is.Equal(healed, stored[1])                                          // the same document
	is.Equal(stateOf(t, s), indexState{pending: 2, indexed: 0, mark: 0}) // in place: nothing appended
	mustServe(t, s, stored)
}

// TestBoltIndexReopen: Close merges the pending ids, so a reopened store has
// none pending and serves everything from "ids".
func TestBoltIndexReopen(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := NewBoltStore(path, withMergeAt(8))
	is.NoErr(err) // open
	stored := putDocs(t, s, 0, 11)
	is.NoErr(s.Close()) // merges

	s = openIndexed(t, path, 8)
	is.Equal(stateOf(t, s), indexState{pending: 0, indexed: 11, mark: 11}) // all merged
	mustServe(t, s, stored)
}

// crashCopy copies the store file of the open store at path, as a crash
// would leave it after the last commit, and returns the copy's path.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	is := is.New(t)
	data, err := os.ReadFile(path)
	is.NoErr(err) // read the open file
	copied := filepath.Join(t.TempDir(), "crashed.db")
	is.NoErr(os.WriteFile(copied, data, 0o600)) // as a crash leaves it
	return copied
}

// TestBoltIndexRebuiltAfterCrash: without Close, the ids after the mark are
// only in memory; a store opened on the file as a crash leaves it rebuilds
// them from the documents, serves every one and knows them as stored.
func TestBoltIndexRebuiltAfterCrash(t *testing.T) {
	tests := []struct {
		name string
		puts int
		want indexState
	}{
		{"nothing merged", 5, indexState{pending: 5, indexed: 0, mark: 0}},
		{"some merged", 11, indexState{pending: 3, indexed: 8, mark: 8}},
		{"all merged", 8, indexState{pending: 0, indexed: 8, mark: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "artifacts.db")
			s := openIndexed(t, path, 8)
			stored := putDocs(t, s, 0, tt.puts)

			crashed := openIndexed(t, crashCopy(t, path), 8)
			mustServe(t, crashed, stored)
			is.Equal(stateOf(t, crashed), tt.want) // the pending ids rebuilt
			again, created, err := crashed.Put(ctx, logDoc(tt.puts-1))
			is.NoErr(err)                          // put of the last document again
			is.True(!created)                      // known after the crash
			is.Equal(again, stored[len(stored)-1]) // the stored one
			more := putDocs(t, crashed, 100, 8)    // at least one merge
			mustServe(t, crashed, append(stored, more...))
		})
	}
}

// TestBoltIndexRebuildSkipsUnreadable: a document after the mark that does
// not start with an id cannot be indexed; it reads as not found, and a Put
// stores it again.
func TestBoltIndexRebuildSkipsUnreadable(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s := openIndexed(t, path, 8)
	stored := putDocs(t, s, 0, 3)
	is.NoErr(s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(boltDocsBucket)).Put(binary.BigEndian.AppendUint64(nil, 2), []byte(`not json`))
	})) // damage the second document

	crashed := openIndexed(t, crashCopy(t, path), 8)
	is.Equal(stateOf(t, crashed).pending, 2) // the others rebuilt
	_, err := crashed.Get(ctx, stored[1].ID)
	is.True(errors.Is(err, ErrNotFound)) // not indexed
	_, created, err := crashed.Put(ctx, logDoc(1))
	is.NoErr(err)    // put again
	is.True(created) // stored anew
	mustServe(t, crashed, stored)
}

// TestBoltIndexMergeBoundedOnceIDsIsLarge: once "ids" is estimated to have
// more leaves than mergeLeaves, a merge takes only the oldest mergeLeaves
// pending ids (and the mark only advances through them), so that it
// rewrites a bounded number of leaves; nothing is lost, then or after a
// reopen.
func TestBoltIndexMergeBoundedOnceIDsIsLarge(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "artifacts.db")
	s, err := NewBoltStore(path, withMergeAt(8), func(o *options) { o.mergeLeaves = 1 })
	is.NoErr(err)                  // open
	total := 2*boltIDsPerLeaf + 30 // past two estimated leaves: one id a merge
	var stored []Artifact
	for first := 0; first < total; first += 10 {
		var batch []Artifact
		for i := first; i < min(first+10, total); i++ {
			batch = append(batch, logDoc(i))
		}
		for _, r := range s.PutBatch(context.Background(), batch) {
			is.NoErr(r.Err) // stored
			stored = append(stored, r.Artifact)
		}
	}
	st := stateOf(t, s)
	is.True(st.pending >= 7 && st.pending <= 8) // one id merged a write: the pending ids stay at the threshold
	is.Equal(st.indexed+st.pending, total)      // every id is somewhere
	is.Equal(st.mark, uint64(total-st.pending)) // the mark is through the last id merged
	mustServe(t, s, stored)
	is.NoErr(s.Close())
	again := openIndexed(t, path, 8)
	reopened := stateOf(t, again)
	is.Equal(reopened.indexed+reopened.pending, total)      // the pending ids are rebuilt (Close merged one more)
	is.Equal(reopened.mark, uint64(total-reopened.pending)) // after the mark
	mustServe(t, again, stored)
}
