package artifacts_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/artifacts"
)

func TestFileStoreLayoutAndOneFilePerDocument(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifacts.NewFileStore(dir)
	is.NoErr(err) // open

	a, _, err := s.Put(ctx, plan(`{"x":1}`))
	is.NoErr(err) // first put
	_, created, err := s.Put(ctx, plan(`{ "x" : 1.0 }`))
	is.NoErr(err)     // second put
	is.True(!created) // same document

	entries, err := os.ReadDir(filepath.Join(dir, a.ID[:2]))
	is.NoErr(err)                             // shard directory exists
	is.Equal(len(entries), 1)                 // one file, no temp files left
	is.Equal(entries[0].Name(), a.ID+".json") // dir/ab/<id>.json
}

func TestFileStoreReopen(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifacts.NewFileStore(dir, artifacts.WithClock(fixedClock))
	is.NoErr(err) // open
	in := plan(`{"<html>":"a & b","n":[1e21,0.1,-0]}`)
	in.Tags = []string{"sse", "task:1"}
	in.Metadata = []byte(`{"engine":"vllm"}`)
	stored, _, err := s.Put(ctx, in)
	is.NoErr(err) // stored

	reopened, err := artifacts.NewFileStore(dir)
	is.NoErr(err) // reopen the same directory
	got, err := reopened.Get(ctx, stored.ID)
	is.NoErr(err)                                                         // found after reopening
	is.Equal(got, stored)                                                 // the same document
	is.Equal(string(got.Content), `{"<html>":"a & b","n":[1e+21,0.1,0]}`) // canonical bytes survive, no HTML escaping
	_, created, err := reopened.Put(ctx, plan(`{"n":[1e21,0.1,-0],"<html>":"a & b"}`))
	is.NoErr(err)     // put again
	is.True(!created) // known after reopening
}

func TestFileStoreRemovesLeftoverTempFiles(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifacts.NewFileStore(dir)
	is.NoErr(err) // open
	a, _, err := s.Put(ctx, plan(`{"kept":true}`))
	is.NoErr(err) // stored

	// A crash between create and rename leaves a temp file, possibly partial.
	shard := filepath.Join(dir, a.ID[:2])
	tmp := filepath.Join(shard, ".tmp-"+a.ID+"-123")
	is.NoErr(os.WriteFile(tmp, []byte(`{"id":`), 0o600)) // partial temp file
	other := filepath.Join(dir, "ff", ".tmp-crashed")
	is.NoErr(os.MkdirAll(filepath.Dir(other), 0o750))       // another shard
	is.NoErr(os.WriteFile(other, []byte(`garbage`), 0o600)) // temp file there too
	unrelated := filepath.Join(dir, "README")
	is.NoErr(os.WriteFile(unrelated, []byte(`operator notes`), 0o600)) // not ours

	_, err = artifacts.NewFileStore(dir)
	is.NoErr(err) // reopen cleans up
	_, err = os.Stat(tmp)
	is.True(errors.Is(err, os.ErrNotExist)) // temp file removed
	_, err = os.Stat(other)
	is.True(errors.Is(err, os.ErrNotExist)) // in every shard
	_, err = os.Stat(unrelated)
	is.NoErr(err) // other files are left alone
	got, err := s.Get(ctx, a.ID)
	is.NoErr(err)    // the stored document is intact
	is.Equal(got, a) // unchanged
}

func TestFileStoreInvalidIDNeverTouchesDisk(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	s, err := artifacts.NewFileStore(dir)
	is.NoErr(err) // open
	// Replace the store directory by a file: any disk access now fails with
	// an I/O error, so ErrInvalidID proves validation came first.
	is.NoErr(os.RemoveAll(dir))                     // remove the directory
	is.NoErr(os.WriteFile(dir, []byte("x"), 0o600)) // a file in its place

	_, err = s.Get(ctx, "../store")
	is.True(errors.Is(err, artifacts.ErrInvalidID)) // traversal rejected before disk
	_, err = s.Get(ctx, strings.Repeat("A", 64))
	is.True(errors.Is(err, artifacts.ErrInvalidID)) // uppercase rejected before disk
	_, err = s.Get(ctx, strings.Repeat("0", 64))
	is.True(err != nil)                              // a valid id does reach the disk
	is.True(!errors.Is(err, artifacts.ErrInvalidID)) // and passes validation
	is.True(!errors.Is(err, artifacts.ErrNotFound))  // and fails on the file in the way
}

func TestFileStoreDetectsCorruption(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := artifacts.NewFileStore(dir)
	is.NoErr(err) // open
	a, _, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err) // stored
	file := filepath.Join(dir, a.ID[:2], a.ID+".json")
	data, err := os.ReadFile(file)
	is.NoErr(err)                                                                                       // read the file
	is.NoErr(os.WriteFile(file, []byte(strings.Replace(string(data), `{"v":1}`, `{"v":2}`, 1)), 0o600)) // tamper

	_, err = s.Get(ctx, a.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt))           // content no longer hashes to the id
	is.NoErr(os.WriteFile(file, []byte(`not json`), 0o600)) // garbage
	_, err = s.Get(ctx, a.ID)
	is.True(errors.Is(err, artifacts.ErrCorrupt)) // unparsable file

	healed, created, err := s.Put(ctx, plan(`{"v":1}`))
	is.NoErr(err)    // a put of the same document
	is.True(created) // rewrites the corrupt file
	got, err := s.Get(ctx, a.ID)
	is.NoErr(err)         // readable again
	is.Equal(got, healed) // the rewritten document
}

func TestNewFileStoreErrors(t *testing.T) {
	is := is.New(t)
	_, err := artifacts.NewFileStore("")
	is.True(errors.Is(err, artifacts.ErrInvalid)) // a directory is required
	file := filepath.Join(t.TempDir(), "file")
	is.NoErr(os.WriteFile(file, nil, 0o600)) // a file where the dir should be
	_, err = artifacts.NewFileStore(file)
	is.True(err != nil) // cannot open a file as the store
}
