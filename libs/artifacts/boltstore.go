package artifacts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

const (
	boltBucket = "artifacts"
	boltMode   = 0o600
	// boltBatchDelay is how long a Put waits for others to share its
	// transaction and fsync (bbolt's MaxBatchDelay; a full batch of
	// boltBatchSize starts at once).
	boltBatchDelay = 2 * time.Millisecond
	boltBatchSize  = 1000
	// boltPageSize fits a leaf of two to four 5–10 KB transcripts (bbolt
	// keeps at least two values per leaf) in one page, which bbolt takes
	// from its page pool and writes in one call, instead of a fresh
	// multi-page buffer per dirty leaf: about a fifth less CPU per Put than
	// 4 KB pages, for a file about a third larger. It applies when the file
	// is created; an existing file keeps its page size.
	boltPageSize = 32 << 10
	// boltPutAttempts bounds the rewrites of a corrupt stored document.
	boltPutAttempts = 3
)

// BoltStore is a Store in one bbolt file: bucket "artifacts", key the id,
// value the stored document as FileStore writes it. Concurrent Puts share one
// write transaction and one fsync (group commit through bbolt's Batch), and a
// Put returns only after its transaction is on disk, so what Put returned
// survives a crash. Get verifies that a document still hashes to its id
// (ErrCorrupt); a Put of the same document replaces a corrupt one.
//
// It is safe for concurrent use. The file is locked while open: a second
// NewBoltStore on it, from this or another process, waits WithLockTimeout
// and fails with ErrLocked.
type BoltStore struct {
	db     *bolt.DB
	path   string
	opts   options
	bucket []byte
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
	s := &BoltStore{db: db, path: path, opts: o, bucket: []byte(boltBucket)}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(s.bucket)
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
	key := []byte(doc.ID)
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
			b, err := s.bucketOf(tx)
			if err != nil {
				return err
			}
			if v := b.Get(key); v != nil && (corrupt == nil || !bytes.Equal(v, corrupt)) {
				stored = bytes.Clone(v) // v is valid only inside the transaction
				return nil
			}
			created = true
			return b.Put(key, data)
		})
		if err != nil {
			return Artifact{}, false, fmt.Errorf("artifacts: write %s: %w", doc.ID, err)
		}
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
	var data []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := s.bucketOf(tx)
		if err != nil {
			return err
		}
		data = bytes.Clone(b.Get([]byte(id))) // the value is valid only inside the transaction
		return nil
	})
	if err != nil {
		return Artifact{}, fmt.Errorf("artifacts: read %s: %w", id, err)
	}
	if data == nil {
		return Artifact{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s.decode(id, data)
}

// bucketOf returns the artifacts bucket, which NewBoltStore created.
func (s *BoltStore) bucketOf(tx *bolt.Tx) (*bolt.Bucket, error) {
	if b := tx.Bucket(s.bucket); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, boltBucket)
}

func (s *BoltStore) decode(id string, data []byte) (Artifact, error) {
	if len(data) > s.opts.maxBytes {
		return Artifact{}, fmt.Errorf("%w: %s: stored document over %d bytes", ErrTooLarge, id, s.opts.maxBytes)
	}
	return decode(data, id)
}
