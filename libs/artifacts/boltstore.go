package artifacts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// sequence number.
	boltIDsBucket = "ids"
	// boltLegacyBucket is the layout of earlier files: key the hex id, value
	// the document. It is read when present, never created.
	boltLegacyBucket = "artifacts"
	boltSeqLen       = 8
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
	// instead of a fresh multi-page buffer per dirty leaf. Smaller pages
	// write less per Put (the "ids" leaf: 15 KB per 8 KB transcript with 4 KB
	// pages, 28 KB with 32 KB pages) but take a third more CPU. It applies
	// when the file is created; an existing file keeps its page size.
	boltPageSize = 32 << 10
	// boltPutAttempts bounds the rewrites of a corrupt stored document.
	boltPutAttempts = 3
	// boltReleaseBytes is how many bytes of documents are read or written
	// between two releases of the mapped pages (see BoltStore.release).
	boltReleaseBytes = 16 << 20
)

// BoltStore is a Store in one bbolt file. Bucket "docs" holds the stored
// documents, as FileStore writes them, under 8-byte big-endian sequence
// numbers in the order they were stored; bucket "ids" maps each id (32 raw
// bytes) to its document's sequence number. A Put therefore rewrites the
// rightmost leaf of "docs", which the Puts of its transaction share, and one
// small leaf of "ids": about one page per Put however large the file grows,
// where a key of random ids rewrote a random leaf of documents. Every 16 MB
// of documents read or written the store drops the file's pages from the
// process's resident set (see release), so that the process's RSS does not
// grow with the file. Files of the earlier layout, bucket "artifacts" keyed
// by the hex id, are read as well; new documents go to the new buckets.
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
	// bucket names, kept as []byte so that a transaction does not convert
	// them anew
	docsName, idsName, legacyName []byte
	// touched counts the bytes of documents read or written since the
	// mapped pages were last released.
	touched atomic.Int64
}

var _ Store = (*BoltStore)(nil)

// NewBoltStore opens (creating it and its directory when missing) the store
// file at path. Close releases it.
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
		docsName: []byte(boltDocsBucket), idsName: []byte(boltIDsBucket), legacyName: []byte(boltLegacyBucket),
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(s.docsName); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(s.idsName)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("artifacts: open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file and releases its lock. Puts and Gets after Close
// fail.
func (s *BoltStore) Close() error {
	if err := s.db.Close(); err != nil {
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
			b, err := s.bucketsOf(tx)
			if err != nil {
				return err
			}
			at, v, _ := b.lookup(key, doc.ID) // a dangling index entry is replaced below
			if v != nil && (corrupt == nil || !bytes.Equal(v, corrupt)) {
				stored = bytes.Clone(v) // v is valid only inside the transaction
				return nil
			}
			created = true
			return b.store(at, key, doc.ID, data, v != nil)
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
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	key := rawID(id)
	var data []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := s.bucketsOf(tx)
		if err != nil {
			return err
		}
		_, v, err := b.lookup(key, id)
		data = bytes.Clone(v) // v is valid only inside the transaction
		return err
	})
	if err != nil {
		return Artifact{}, fmt.Errorf("artifacts: read %s: %w", id, err)
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
// "docs", the leaves of "ids" it looks up, and the neighbours the kernel maps
// along with them) are soon reused for new pages or filled up and left, so
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

// boltBuckets are the buckets of one transaction.
type boltBuckets struct {
	docs, ids *bolt.Bucket
	legacy    *bolt.Bucket // nil unless the file has the earlier layout's bucket
}

// bucketsOf returns the buckets NewBoltStore created (and the earlier
// layout's, when the file has it).
func (s *BoltStore) bucketsOf(tx *bolt.Tx) (boltBuckets, error) {
	b := boltBuckets{docs: tx.Bucket(s.docsName), ids: tx.Bucket(s.idsName), legacy: tx.Bucket(s.legacyName)}
	if b.docs == nil || b.ids == nil {
		return boltBuckets{}, fmt.Errorf("%w: bucket %q or %q is missing", ErrCorrupt, boltDocsBucket, boltIDsBucket)
	}
	// A bucket's FillPercent lasts one transaction.
	b.docs.FillPercent = boltDocsFillPercent
	return b, nil
}

// lookup returns the document stored under id (key is its raw bytes) and
// its sequence number, or a nil seq for a document of the earlier layout
// (looked up by the hex id). It returns nil data when none is stored, and
// ErrCorrupt when the index names a document that is not there.
func (b boltBuckets) lookup(key []byte, id string) (seq, data []byte, err error) {
	if seq = b.ids.Get(key); seq != nil {
		if len(seq) == boltSeqLen {
			data = b.docs.Get(seq)
		}
		if data == nil {
			return nil, nil, fmt.Errorf("%w: the index names a missing document", ErrCorrupt)
		}
		return seq, data, nil
	}
	if b.legacy != nil {
		return nil, b.legacy.Get([]byte(id)), nil
	}
	return nil, nil, nil
}

// store writes data as the document of id. A corrupt document found by
// lookup (replace) is overwritten where it is, at seq, or, when it is of the
// earlier layout, removed; anything else is appended to "docs" under the
// next sequence number, which the index then names.
func (b boltBuckets) store(seq, key []byte, id string, data []byte, replace bool) error {
	if replace && seq != nil {
		// The key must stay valid until the commit: seq points into the page.
		return b.docs.Put(bytes.Clone(seq), data)
	}
	if replace && b.legacy != nil {
		if err := b.legacy.Delete([]byte(id)); err != nil {
			return err
		}
	}
	n, err := b.docs.NextSequence()
	if err != nil {
		return err
	}
	// A fresh slice per call: bbolt keeps it until the commit, and Batch may
	// run the caller again in another transaction.
	next := binary.BigEndian.AppendUint64(make([]byte, 0, boltSeqLen), n)
	if err := b.docs.Put(next, data); err != nil {
		return err
	}
	return b.ids.Put(key, next)
}

// rawID returns the 32 bytes that the valid id spells in hex.
func rawID(id string) []byte {
	key := make([]byte, sha256.Size)
	for i := range key {
		key[i] = byte(unhex(id[2*i])<<4 | unhex(id[2*i+1]))
	}
	return key
}

func (s *BoltStore) decode(id string, data []byte) (Artifact, error) {
	if len(data) > s.opts.maxBytes {
		return Artifact{}, fmt.Errorf("%w: %s: stored document over %d bytes", ErrTooLarge, id, s.opts.maxBytes)
	}
	return decode(data, id)
}
