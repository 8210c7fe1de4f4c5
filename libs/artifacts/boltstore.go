package artifacts

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

const (
	// boltDocsBucket holds the stored documents, keyed by an 8-byte
	// big-endian sequence number in the order they were stored.
	boltDocsBucket = "docs"
	// boltIDsBucket maps an id (its 32 raw bytes) to its document's
	// sequence number, for every document up to the mark. The ids of the
	// documents stored after it are held in memory (see BoltStore).
	boltIDsBucket = "ids"
	// boltMetaBucket holds the mark under boltMarkKey: the 8-byte big-endian
	// sequence number up to which every document is indexed in "ids".
	boltMetaBucket = "meta"
	boltMarkKey    = "indexed_through"
	// boltLegacyBucket is the layout of earlier files: key the hex id, value
	// the document. It is read when present, never created.
	boltLegacyBucket = "artifacts"
	boltSeqLen       = 8
	// boltMergeEntries is how many ids the store holds in memory before a
	// write transaction merges them into "ids". A merge rewrites every leaf
	// of "ids" that one of them falls in, about all of them (ids are
	// random): with 50,000 documents some 150 leaves of 32 KB once per 4096
	// documents, instead of a leaf per document. The saving shrinks as
	// "ids" grows past boltMergeLeaves leaves (~100,000 documents), where a
	// merge takes fewer ids at a time, and is gone past ~1.5 million.
	// It bounds the memory (about 100 bytes an id) and what NewBoltStore
	// reads after a crash: at most this many documents and a batch.
	boltMergeEntries = 4096
	// boltMergeLeaves bounds what one merge rewrites, and so holds dirty
	// in memory until its commit: once "ids" has more leaves than this
	// (estimated at boltIDsPerLeaf ids a leaf), a merge takes only the
	// oldest boltMergeLeaves pending ids, whose leaves are then about all
	// distinct. 256 leaves of 32 KiB is 8 MiB; merging all 4096 ids into a
	// large "ids" would hold 128 MiB.
	boltMergeLeaves = 256
	// boltIDsPerLeaf: an element of "ids" takes 56 bytes of a leaf (16 of
	// header, the 32-byte key, the 8-byte value), and leaves filled by
	// random keys are about 70% full.
	boltIDsPerLeaf = boltPageSize * 7 / 10 / 56
	// boltDocsFillPercent fills the documents' leaves to the brim when they
	// split: keys only ever append, so a full leaf is never written again.
	boltDocsFillPercent = 1.0
	boltMode            = 0o600
	// boltBatchDelay is how long a Put waits for others to share its
	// transaction and fsync (bbolt's MaxBatchDelay; a full batch of
	// boltBatchSize starts at once).
	boltBatchDelay = 2 * time.Millisecond
	boltBatchSize  = 1000
	// boltPageSize fits a leaf of three to six 5–10 KB transcripts in one
	// page, which bbolt takes from its page pool and writes in one call,
	// instead of a fresh multi-page buffer per dirty leaf. It applies when
	// the file is created; an existing file keeps its page size.
	boltPageSize = 32 << 10
	// boltPutAttempts bounds the rewrites of a corrupt stored document.
	boltPutAttempts = 3
	// boltReleaseBytes is how many bytes of documents are read or written
	// between two releases of the mapped pages (see BoltStore.release).
	boltReleaseBytes = 4 << 20
)

// BoltStore is a Store in one bbolt file. Bucket "docs" holds the stored
// documents, as FileStore writes them, under 8-byte big-endian sequence
// numbers in the order they were stored, so a Put rewrites only the
// rightmost leaf of "docs", which the Puts of its transaction share.
//
// The index by id is kept like an LSM tree's: the ids of recent documents
// wait in memory, and every boltMergeEntries of them are merged, sorted,
// into bucket "ids" (32 raw bytes → sequence number) in one of the write
// transactions, which also advances the mark (bucket "meta", key
// "indexed_through") to the last sequence number indexed there. Writing
// "ids" per Put instead made every Put rewrite a random 32 KB leaf of it
// (ids are SHA-256): about 4× more bytes of "ids" than of documents went to
// disk, and materializing and growing those leaves was 37% of everything
// the daemon allocated under load. A lookup asks the pending ids first,
// then "ids", then the earlier layout. BenchmarkBoltPutBatch, 16 transcripts
// of ~6 KB per batch into a store of 50,000: 262 KB written instead of
// 774 KB, 0.31 MB allocated instead of 1.45 MB. Nothing is lost in a crash: the
// documents are on disk when Put returns, and NewBoltStore rebuilds the
// pending ids from the documents after the mark (each starts with its id);
// Close merges them. A file without the mark, written when "ids" was
// updated per Put, is indexed throughout, and gets the mark on open.
//
// Every 4 MB of documents read or written, and after each merge, the store
// drops the file's pages from the process's resident set (see release), so
// that the process's RSS does not grow with the file. Files of the earlier
// layout, bucket "artifacts" keyed by the hex id, are read as well; new
// documents go to the new buckets.
//
// Concurrent Puts share one write transaction and one fsync (group commit
// through bbolt's Batch), and a Put returns only after its transaction is on
// disk, so what Put returned survives a crash. Get verifies that a document
// still hashes to its id (ErrCorrupt); a Put of the same document replaces a
// corrupt one.
//
// It is safe for concurrent use. The file is locked while open: a second
// NewBoltStore on it, from this or another process, waits WithLockTimeout
// and fails with ErrLocked.
type BoltStore struct {
	db   *bolt.DB
	path string
	opts options
	// bucket names and the mark's key, kept as []byte so that a transaction
	// does not convert them anew
	docsName, idsName, metaName, legacyName, markKey []byte
	// idx holds the ids of the documents stored after the mark.
	idx *pendingIndex
	// touched counts the bytes of documents read or written since the
	// mapped pages were last released.
	touched atomic.Int64
	// docBufs recycles PutBatch's document encodings.
	docBufs sync.Pool
}

var _ Store = (*BoltStore)(nil)

// NewBoltStore opens (creating it and its directory when missing) the store
// file at path, and rebuilds the pending ids from the documents stored
// after the mark. Close releases it.
func NewBoltStore(path string, opts ...Option) (*BoltStore, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	o := newOptions(opts)
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("artifacts: open %s: %w", path, err)
	}
	db, err := bolt.Open(path, boltMode, &bolt.Options{
		Timeout: o.lockTimeout,
		// The freelist is rebuilt by a scan on open instead of being written
		// with every commit; commits stay durable (NoSync is false).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoStatistics:   true,
		PageSize:       boltPageSize,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %s for its lock)", ErrLocked, path, o.lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("artifacts: open %s: %w", path, err)
	}
	db.MaxBatchDelay = boltBatchDelay
	db.MaxBatchSize = boltBatchSize
	s := &BoltStore{
		db: db, path: path, opts: o,
		docsName: []byte(boltDocsBucket), idsName: []byte(boltIDsBucket), metaName: []byte(boltMetaBucket),
		legacyName: []byte(boltLegacyBucket), markKey: []byte(boltMarkKey),
		idx: newPendingIndex(),
	}
	read := 0
	if err := db.Update(func(tx *bolt.Tx) error {
		var err error
		read, err = s.prepareFile(tx)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("artifacts: open %s: %w", path, err)
	}
	s.noteTouched(read)
	return s, nil
}

// prepareFile creates the buckets that are missing, gives a file without
// the mark one and rebuilds the pending ids. It returns the bytes of
// documents read.
func (s *BoltStore) prepareFile(tx *bolt.Tx) (int, error) {
	for _, name := range [][]byte{s.docsName, s.idsName, s.metaName} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return 0, err
		}
	}
	docs, meta := tx.Bucket(s.docsName), tx.Bucket(s.metaName)
	mark := meta.Get(s.markKey)
	switch {
	case mark == nil:
		// A new file, or one written when "ids" was updated in the
		// transaction of each document: every document is indexed.
		through := docs.Sequence()
		if err := meta.Put(s.markKey, binary.BigEndian.AppendUint64(nil, through)); err != nil {
			return 0, err
		}
		return s.idx.rebuild(docs, through), nil
	case len(mark) != boltSeqLen:
		return 0, fmt.Errorf("%w: the mark %q is %d bytes, not %d", ErrCorrupt, boltMarkKey, len(mark), boltSeqLen)
	}
	return s.idx.rebuild(docs, binary.BigEndian.Uint64(mark)), nil
}

// Close merges the pending ids into "ids", closes the file and releases its
// lock. Puts and Gets after Close fail. Should the merge fail, the file
// is still closed, and the next NewBoltStore rebuilds the pending ids.
func (s *BoltStore) Close() error {
	var mergeErr error
	if s.idx.size() > 0 {
		mergeErr = s.db.Update(func(tx *bolt.Tx) error {
			w, err := s.writeTx(tx)
			if err != nil {
				return err
			}
			return w.merge()
		})
		if errors.Is(mergeErr, bolterrors.ErrDatabaseNotOpen) {
			mergeErr = nil // closed already
		}
	}
	if err := errors.Join(mergeErr, s.db.Close()); err != nil {
		return fmt.Errorf("artifacts: close %s: %w", s.path, err)
	}
	return nil
}

// Put implements Store. The document is written in a transaction shared with
// the Puts running at the same time; an id stored already is returned with
// created=false and nothing is written.
func (s *BoltStore) Put(ctx context.Context, a Artifact) (Artifact, bool, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, false, err
	}
	doc, data, err := s.opts.prepare(a)
	if err != nil {
		return Artifact{}, false, err
	}
	key := rawID(doc.ID)
	var corrupt []byte // stored bytes found not to hash to the id: overwrite them
	for range boltPutAttempts {
		if err := ctx.Err(); err != nil {
			return Artifact{}, false, err
		}
		var stored []byte
		created := false
		// Batch may run the function more than once: it sets its results anew.
		err := s.db.Batch(func(tx *bolt.Tx) error {
			stored, created = nil, false
			b, err := s.writeTx(tx)
			if err != nil {
				return err
			}
			at, v, _ := b.lookup(&key, doc.ID) // a dangling index entry is replaced below
			if v != nil && (corrupt == nil || !bytes.Equal(v, corrupt)) {
				stored = bytes.Clone(v) // v is valid only inside the transaction
				return nil
			}
			created = true
			return b.store(at, &key, doc.ID, data, v != nil)
		})
		if err != nil {
			return Artifact{}, false, fmt.Errorf("artifacts: write %s: %w", doc.ID, err)
		}
		s.noteTouched(len(data))
		if created {
			return doc, true, nil
		}
		got, err := s.decode(doc.ID, stored)
		if !errors.Is(err, ErrCorrupt) {
			return got, false, err
		}
		corrupt = stored
	}
	return Artifact{}, false, fmt.Errorf("%w: %s is rewritten by another writer", ErrCorrupt, doc.ID)
}

// Get implements Store. The id is validated before the file is touched, and
// the document read is checked against its id (ErrCorrupt).
func (s *BoltStore) Get(ctx context.Context, id string) (Artifact, error) {
	if !ValidID(id) {
		return Artifact{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	key := rawID(id)
	var data []byte
	for {
		if err := ctx.Err(); err != nil {
			return Artifact{}, err
		}
		err := s.db.View(func(tx *bolt.Tx) error {
			b, err := s.readTx(tx)
			if err != nil {
				return err
			}
			_, v, err := b.lookup(&key, id)
			data = bytes.Clone(v) // v is valid only inside the transaction
			return err
		})
		if errors.Is(err, errIndexMoved) {
			continue // a merge overtook the read: read again, in a newer transaction
		}
		if err != nil {
			return Artifact{}, fmt.Errorf("artifacts: read %s: %w", id, err)
		}
		break
	}
	if data == nil {
		return Artifact{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	s.noteTouched(len(data))
	return s.decode(id, data)
}

// noteTouched counts n bytes of documents read or written through the file's
// mapping and releases the mapped pages once boltReleaseBytes have been.
func (s *BoltStore) noteTouched(n int) {
	if s.touched.Add(int64(n)) >= boltReleaseBytes && s.touched.Swap(0) >= boltReleaseBytes {
		s.release()
	}
}

// release drops the file's pages from the process's page tables. bbolt
// reads the file through a read-only shared mmap, and every page it reads
// stays resident in the process until bbolt remaps the file, which it does
// only when the file outgrows the mapping (sizes double up to 1 GB, then
// grow by 1 GB). Even appending, the pages a Put reads (the rightmost leaf of
// "docs", the leaves of "ids" that lookups and merges read, and the
// neighbours the kernel maps along with them) are soon reused for new pages or filled up and left, so
// nearly every page written would end up resident: the process's RSS would
// grow with the file. The pages stay in the page cache, clean (the mapping is
// read-only; writes go through the file), and are mapped again, without I/O,
// when read again. A read transaction holds bbolt's mmap lock, so the mapping
// cannot move or go away meanwhile. A failure leaves the pages mapped, which
// the kernel still reclaims under memory pressure; it does not fail a Put or
// a Get.
func (s *BoltStore) release() {
	_ = s.db.View(func(tx *bolt.Tx) error {
		return releaseMapped(s.db.Info().Data, uintptr(tx.Size()))
	})
}

func (s *BoltStore) decode(id string, data []byte) (Artifact, error) {
	if len(data) > s.opts.maxBytes {
		return Artifact{}, fmt.Errorf("%w: %s: stored document over %d bytes", ErrTooLarge, id, s.opts.maxBytes)
	}
	return decode(data, id)
}
