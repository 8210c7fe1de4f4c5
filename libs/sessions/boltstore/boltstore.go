package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/orchestratord/orchestratord/contracts/wire"
	"github.com/orchestratord/orchestratord/libs/sessions"
)

// Errors of the adapter.
var (
	// ErrLocked: another Store, in this or another process, holds the
	// file.
	ErrLocked = errors.New("boltstore: sessions file is locked by another process")
	// ErrInvalidID: a change names a session id that breaks the id rule
	// (1-128 characters of [A-Za-z0-9._:@+-]); nothing was written.
	ErrInvalidID = errors.New("boltstore: invalid session id")
	// ErrCorrupt: a stored session cannot be read back (passed to Load's
	// callback, wrapped with the reason).
	ErrCorrupt = errors.New("boltstore: corrupt session record")
)

const (
	sessionsBucket = "sessions"
	fileMode       = 0o600
	dirMode        = 0o700
	// defaultLockTimeout is how long Open waits for another holder of the
	// file to let go.
	defaultLockTimeout = 5 * time.Second
	// keepBuf is the largest encoding buffer kept between commits.
	keepBuf = 1 << 20
)

// Store is a sessions.Backend in one bbolt file: bucket "sessions" maps
// each session id to its record. Commit is one write transaction, synced to
// disk before it returns; Load reads a consistent snapshot. It is safe for
// concurrent use; the file is locked while open.
type Store struct {
	db     *bolt.DB
	path   string
	bucket []byte

	mu  sync.Mutex // guards buf, reused by Commit to encode keys and records
	buf []byte
}

var _ sessions.Backend = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct{ lockTimeout time.Duration }

// WithLockTimeout sets how long Open waits for the file's lock (default
// 5 s); after it, Open fails with ErrLocked.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.lockTimeout = d
		}
	}
}

// Open opens the sessions file at path, creating it and its directory when
// missing. Close releases it.
func Open(path string, opts ...Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("boltstore: empty path")
	}
	o := options{lockTimeout: defaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	db, err := bolt.Open(path, fileMode, &bolt.Options{
		Timeout: o.lockTimeout,
		// The freelist is rebuilt by a scan on open instead of being written
		// with every commit; commits stay durable (NoSync is false).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoStatistics:   true,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, o.lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, bucket: []byte(sessionsBucket)}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(s.bucket)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file and releases its lock; calls after Close fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close %s: %w", s.path, err)
	}
	return nil
}

// Commit implements sessions.Backend: every change in one write
// transaction, synced before it returns. Every id is checked before the
// file is touched; one invalid id fails the whole commit (ErrInvalidID).
func (s *Store) Commit(ctx context.Context, changes []sessions.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range changes {
		if id := changes[i].Record.ID; !wire.ValidID(id) {
			return fmt.Errorf("%w: %q", ErrInvalidID, id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// bbolt keeps the key and value slices until the transaction commits:
	// each is a region of buf that is never written again in this commit
	// (a growing buf moves on to a new array and leaves the old intact).
	buf := s.buf[:0]
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		buf = buf[:0]
		for i := range changes {
			c := &changes[i]
			start := len(buf)
			buf = append(buf, c.Record.ID...)
			key := buf[start:len(buf):len(buf)]
			if c.Delete {
				if err := b.Delete(key); err != nil {
					return err
				}
				continue
			}
			start = len(buf)
			var err error
			if buf, err = appendRecord(buf, &c.Record); err != nil {
				return fmt.Errorf("session %q: %w", c.Record.ID, err)
			}
			if err := b.Put(key, buf[start:len(buf):len(buf)]); err != nil {
				return err
			}
		}
		return nil
	})
	if cap(buf) <= keepBuf {
		s.buf = buf
	} else {
		s.buf = nil
	}
	if err != nil {
		return fmt.Errorf("boltstore: commit %d changes: %w", len(changes), err)
	}
	return nil
}

// Load implements sessions.Backend: fn sees every stored session in id
// order. A record that cannot be read (a bad checksum, another layout, a
// key that is not a valid id) is passed with an error wrapping ErrCorrupt
// and removed before Load returns, so it is reported once.
func (s *Store) Load(ctx context.Context, fn func(sessions.Record, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var bad [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(s.bucket).ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := string(k)
			if !wire.ValidID(id) {
				bad = append(bad, []byte(id))
				fn(sessions.Record{ID: strconv.Quote(id)}, fmt.Errorf("%w: key is not a valid session id", ErrCorrupt))
				return nil
			}
			r, err := decodeRecord(id, v)
			if err != nil {
				bad = append(bad, []byte(id))
				fn(sessions.Record{ID: id}, fmt.Errorf("%w %q: %w", ErrCorrupt, id, err))
				return nil
			}
			fn(r, nil)
			return nil
		})
	})
	if err != nil || len(bad) == 0 {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		for _, k := range bad {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
