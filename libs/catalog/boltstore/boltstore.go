package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/orchestratord/orchestratord/libs/catalog"
)

// Errors of the adapter beyond the catalog's sentinels.
var (
	// ErrLocked: another Catalog, in this or another process, holds the
	// file.
	ErrLocked = errors.New("boltstore: catalog file is locked by another process")
	// ErrCorrupt: a stored entry cannot be read back.
	ErrCorrupt = errors.New("boltstore: corrupt entry")
)

const (
	modelsBucket = "models"
	fileMode     = 0o600
	dirMode      = 0o700
	// defaultLockTimeout is how long Open waits for another holder of the
	// file to let go.
	defaultLockTimeout = 5 * time.Second
)

// Catalog is a catalog.Store in one bbolt file: bucket "models" maps each
// model id to its entry (JSON). Put and Delete are write transactions that
// are synced to disk before they return; Get and List read a consistent
// snapshot. Ids are validated before the file is touched. It is safe for
// concurrent use; the file is locked while open.
type Catalog struct {
	db     *bolt.DB
	path   string
	bucket []byte
}

var _ catalog.Store = (*Catalog)(nil)

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

// Open opens the catalog file at path, creating it and its directory when
// missing. Close releases it.
func Open(path string, opts ...Option) (*Catalog, error) {
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
	db, err := bolt.Open(path, fileMode, &bolt.Options{Timeout: o.lockTimeout, NoStatistics: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %s)", ErrLocked, path, o.lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	c := &Catalog{db: db, path: path, bucket: []byte(modelsBucket)}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(c.bucket)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return c, nil
}

// Close closes the file and releases its lock; calls after Close fail.
func (c *Catalog) Close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close %s: %w", c.path, err)
	}
	return nil
}

// checkID refuses a malformed id before any storage access.
func checkID(id string) error {
	if !catalog.ValidModelID(id) {
		return &catalog.ValidationError{Field: "id", Reason: "is not a valid model id"}
	}
	return nil
}

// Get implements catalog.Store.
func (c *Catalog) Get(ctx context.Context, id string) (catalog.Entry, error) {
	if err := ctx.Err(); err != nil {
		return catalog.Entry{}, err
	}
	if err := checkID(id); err != nil {
		return catalog.Entry{}, err
	}
	var e catalog.Entry
	err := c.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(c.bucket).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %q", catalog.ErrNotFound, id)
		}
		var err error
		e, err = decode([]byte(id), v)
		return err
	})
	if err != nil {
		return catalog.Entry{}, err
	}
	return e, nil
}

// Put implements catalog.Store: one synced write transaction.
func (c *Catalog) Put(ctx context.Context, e catalog.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(e.ID); err != nil {
		return err
	}
	v, err := encode(&e)
	if err != nil {
		return fmt.Errorf("boltstore: encode %q: %w", e.ID, err)
	}
	if err := c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(c.bucket).Put([]byte(e.ID), v)
	}); err != nil {
		return fmt.Errorf("boltstore: put %q: %w", e.ID, err)
	}
	return nil
}

// Delete implements catalog.Store: one synced write transaction.
func (c *Catalog) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	return c.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(c.bucket)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("%w: %q", catalog.ErrNotFound, id)
		}
		return b.Delete([]byte(id))
	})
}

// List implements catalog.Store: every entry, in id order.
func (c *Catalog) List(ctx context.Context) ([]catalog.Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []catalog.Entry
	err := c.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(c.bucket).ForEach(func(k, v []byte) error {
			e, err := decode(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
