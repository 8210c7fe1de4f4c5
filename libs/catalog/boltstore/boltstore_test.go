package boltstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"

	"github.com/orchestratord/orchestratord/libs/catalog"
	"github.com/orchestratord/orchestratord/libs/catalog/boltstore"
	"github.com/orchestratord/orchestratord/libs/catalog/catalogtest"
)

func open(t *testing.T, path string) *boltstore.Catalog {
	t.Helper()
	c, err := boltstore.Open(path, boltstore.WithLockTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestStoreContract(t *testing.T) {
	catalogtest.RunStoreSuite(t, func(t *testing.T) catalog.Store {
		return open(t, filepath.Join(t.TempDir(), "catalog.db"))
	})
}

func TestEntriesSurviveReopen(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "catalog.db")
	c, err := boltstore.Open(path)
	is.NoErr(err) // open creates the directory and the file
	full := catalogtest.FullEntry("org/full")
	is.NoErr(c.Put(ctx, full))                             // put
	is.NoErr(c.Put(ctx, catalogtest.MinimalEntry("gone"))) // put
	is.NoErr(c.Delete(ctx, "gone"))                        // delete
	is.NoErr(c.Close())                                    // close
	_, err = c.Get(ctx, "org/full")
	is.True(err != nil) // a closed store refuses reads

	again := open(t, path)
	got, err := again.Get(ctx, "org/full")
	is.NoErr(err)       // still there after reopening
	is.Equal(got, full) // every field
	_, err = again.Get(ctx, "gone")
	is.True(errors.Is(err, catalog.ErrNotFound)) // the delete was kept too
}

func TestInvalidIDsNeverReachTheFile(t *testing.T) {
	ctx := context.Background()
	c := open(t, filepath.Join(t.TempDir(), "catalog.db"))
	for _, id := range []string{"", "/abs", "a/../b", "a//b", "sp ace", string(make([]byte, 129))} {
		t.Run(id, func(t *testing.T) {
			is := is.New(t)
			_, err := c.Get(ctx, id)
			is.True(errors.Is(err, catalog.ErrInvalid))               // get refuses it
			is.True(errors.Is(c.Delete(ctx, id), catalog.ErrInvalid)) // delete refuses it
			e := catalogtest.MinimalEntry(id)
			is.True(errors.Is(c.Put(ctx, e), catalog.ErrInvalid)) // put refuses it
		})
	}
}

func TestSecondOpenWaitsForTheLock(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "catalog.db")
	open(t, path)
	_, err := boltstore.Open(path, boltstore.WithLockTimeout(20*time.Millisecond))
	is.True(errors.Is(err, boltstore.ErrLocked)) // one holder at a time
}

func TestCanceledContext(t *testing.T) {
	is := is.New(t)
	c := open(t, filepath.Join(t.TempDir(), "catalog.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Get(ctx, "m")
	is.True(errors.Is(err, context.Canceled))                                       // get
	is.True(errors.Is(c.Put(ctx, catalogtest.MinimalEntry("m")), context.Canceled)) // put
	is.True(errors.Is(c.Delete(ctx, "m"), context.Canceled))                        // delete
	_, err = c.List(ctx)
	is.True(errors.Is(err, context.Canceled)) // list
}

func TestCorruptEntriesAreReported(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		key   string
		value string
	}{
		{name: "not JSON", key: "m", value: "{"},
		{name: "unknown layout", key: "m", value: `{"v":99,"id":"m"}`},
		{name: "stored under another id", key: "m", value: `{"v":1,"id":"other"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			path := filepath.Join(t.TempDir(), "catalog.db")
			c, err := boltstore.Open(path)
			is.NoErr(err)       // create the file
			is.NoErr(c.Close()) // and let go of it
			db, err := bolt.Open(path, 0o600, nil)
			is.NoErr(err) // open it raw
			is.NoErr(db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("models")).Put([]byte(tc.key), []byte(tc.value))
			})) // write a bad record
			is.NoErr(db.Close())
			c = open(t, path)
			_, err = c.Get(ctx, tc.key)
			is.True(errors.Is(err, boltstore.ErrCorrupt)) // get says so
			_, err = c.List(ctx)
			is.True(errors.Is(err, boltstore.ErrCorrupt)) // so does list
		})
	}
}

func TestOpenFailsOnAnUnusablePath(t *testing.T) {
	is := is.New(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	is.NoErr(os.WriteFile(file, []byte("x"), 0o600)) // a file where a directory should be
	_, err := boltstore.Open(filepath.Join(file, "catalog.db"))
	is.True(err != nil) // reported, not a panic
	_, err = boltstore.Open("")
	is.True(err != nil) // empty path
}
