package artifacts

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"
)

// TestBoltIndexUncommittedInvisible: a reader does not see an id whose write
// transaction has not committed, and the ids of a transaction that rolled
// back are undone before the next one reuses its id and sequence numbers.
func TestBoltIndexUncommittedInvisible(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 8)
	doc, data, err := s.opts.prepare(logDoc(1))
	is.NoErr(err) // a document
	key := rawID(doc.ID)
	errRollback := errors.New("roll back")
	read := make(chan error, 1)
	err = s.db.Update(func(tx *bolt.Tx) error {
		w, err := s.writeTx(tx)
		if err != nil {
			return err
		}
		if err := w.store(nil, &key, doc.ID, data, false); err != nil {
			return err
		}
		go func() {
			_, err := s.Get(ctx, doc.ID)
			read <- err
		}()
		is.True(errors.Is(<-read, ErrNotFound)) // a reader does not see it before the commit
		return errRollback
	})
	is.True(errors.Is(err, errRollback)) // rolled back

	other := putDocs(t, s, 2, 1) // same transaction id, same sequence number
	_, err = s.Get(ctx, doc.ID)
	is.True(errors.Is(err, ErrNotFound)) // the rolled-back id is gone
	is.Equal(s.idx.size(), 1)            // only the committed one is pending
	mustServe(t, s, other)
}

// TestBoltIndexReadOvertakenByMerge: a read transaction that began before a
// merge whose ids have left the pending index is told to read again, and
// the read in a newer transaction finds them in "ids".
func TestBoltIndexReadOvertakenByMerge(t *testing.T) {
	is := is.New(t)
	s := openIndexed(t, filepath.Join(t.TempDir(), "artifacts.db"), 4)
	stored := putDocs(t, s, 0, 4) // the fourth merges
	key := rawID(stored[0].ID)
	is.NoErr(s.db.View(func(tx *bolt.Tx) error {
		b, err := s.readTx(tx)
		if err != nil {
			return err
		}
		_, data, err := b.lookup(&key, stored[0].ID)
		is.NoErr(err)                // a read after the merge
		is.True(data != nil)         // finds the document
		b.txid = s.idx.lastMerge - 1 // as a read that began before the merge
		_, _, err = b.lookup(&key, stored[0].ID)
		is.True(errors.Is(err, errIndexMoved)) // reads again
		return nil
	})) // read
	mustServe(t, s, stored)
}

// TestBoltIndexConcurrent: Puts (through bbolt's Batch) and PutBatches run
// at once while readers Get each document as soon as its Put returned;
// merges happen throughout. No read misses, the pending ids stay bounded,
// and everything is there after a reopen.
func TestBoltIndexConcurrent(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "artifacts.db")
	const mergeAt, writers, perWriter, batch = 16, 8, 40, 5
	s, err := NewBoltStore(path, withMergeAt(mergeAt))
	is.NoErr(err) // open
	returned := make(chan Artifact, writers*perWriter)
	var (
		wg, readers sync.WaitGroup
		mu          sync.Mutex
		errs        []error
		stored      []Artifact
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < perWriter; i += batch {
				first := (w*perWriter + i) * 2 // documents 0, 2, 4… by Put, 1, 3, 5… by PutBatch
				var as []Artifact
				for j := range batch {
					a, _, err := s.Put(ctx, logDoc(first+2*j))
					fail(err)
					returned <- a
					as = append(as, logDoc(first+2*j+1))
				}
				for _, r := range s.PutBatch(ctx, as) {
					fail(r.Err)
					returned <- r.Artifact
				}
			}
		})
	}
	for range 2 {
		readers.Go(func() {
			for a := range returned {
				got, err := s.Get(ctx, a.ID)
				fail(err)
				mu.Lock()
				stored = append(stored, got)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(returned)
	readers.Wait()
	is.Equal(errors.Join(errs...), nil)                                 // every Put and every Get succeeded
	is.Equal(len(stored), 2*writers*perWriter)                          // every document read
	is.True(s.idx.size() < mergeAt+batch)                               // bounded by a merge and a batch
	is.True(stateOf(t, s).indexed >= 2*writers*perWriter-mergeAt-batch) // the rest merged
	is.NoErr(s.Close())                                                 // merges the rest

	reopened := openIndexed(t, path, mergeAt)
	is.Equal(stateOf(t, reopened), indexState{pending: 0, indexed: len(stored), mark: uint64(len(stored))}) // all merged
	mustServe(t, reopened, stored)
}
