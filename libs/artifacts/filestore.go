package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

const (
	tempPrefix = ".tmp-"
	fileSuffix = ".json"
	dirMode    = 0o750
)

// FileStore is a Store of one JSON file per artifact, at dir/ab/<id>.json
// where ab are the first two characters of the id. Writes are atomic: a temp
// file in the same directory is written and fsynced, renamed into place, and
// the directory fsynced, so a crash leaves either the whole document or none
// (plus a temp file that the next NewFileStore removes).
//
// Get verifies that a document still hashes to its id (ErrCorrupt); a Put of
// the same document replaces a corrupt file. It is safe for concurrent use
// within one process; the directory must not be shared by two processes at
// once.
type FileStore struct {
	dir   string
	opts  options
	locks [256]sync.Mutex // one per shard directory
}

var _ Store = (*FileStore)(nil)

// NewFileStore opens (creating it when missing) a store under dir and removes
// temp files a crash left behind.
func NewFileStore(dir string, opts ...Option) (*FileStore, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: empty store directory", ErrInvalid)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("artifacts: open %s: %w", dir, err)
	}
	s := &FileStore{dir: dir, opts: newOptions(opts)}
	if err := s.removeTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

// removeTemps deletes the temp files of interrupted writes.
func (s *FileStore) removeTemps() error {
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("artifacts: open %s: %w", s.dir, err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || !validShard(shard.Name()) {
			continue
		}
		dir := filepath.Join(s.dir, shard.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("artifacts: open %s: %w", dir, err)
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), tempPrefix) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("artifacts: remove temp file: %w", err)
			}
		}
	}
	return nil
}

func validShard(name string) bool {
	return len(name) == 2 && isLowerHex(name[0]) && isLowerHex(name[1])
}

func (s *FileStore) path(id string) (shardDir, file string) {
	shardDir = filepath.Join(s.dir, id[:2])
	return shardDir, filepath.Join(shardDir, id+fileSuffix)
}

func (s *FileStore) lock(id string) *sync.Mutex {
	return &s.locks[unhex(id[0])<<4|unhex(id[1])]
}

func unhex(c byte) int {
	if c <= '9' {
		return int(c - '0')
	}
	return int(c-'a') + 10
}

// Put implements Store.
func (s *FileStore) Put(ctx context.Context, a Artifact) (Artifact, bool, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, false, err
	}
	doc, data, err := s.opts.prepare(a)
	if err != nil {
		return Artifact{}, false, err
	}
	mu := s.lock(doc.ID)
	mu.Lock()
	defer mu.Unlock()
	stored, err := s.read(doc.ID)
	switch {
	case err == nil:
		return stored, false, nil
	case !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrCorrupt):
		return Artifact{}, false, err
	}
	// Not stored, or stored corrupt: (re)write it.
	if err := ctx.Err(); err != nil {
		return Artifact{}, false, err
	}
	if err := s.write(doc.ID, data); err != nil {
		return Artifact{}, false, err
	}
	return doc, true, nil
}

// Get implements Store. The id is validated before any file is touched, and
// the document read is checked against its id (ErrCorrupt).
func (s *FileStore) Get(ctx context.Context, id string) (Artifact, error) {
	if !ValidID(id) {
		return Artifact{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	return s.read(id)
}

func (s *FileStore) read(id string) (Artifact, error) {
	_, file := s.path(id)
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Artifact{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("artifacts: read %s: %w", id, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(s.opts.maxBytes)+1))
	if err != nil {
		return Artifact{}, fmt.Errorf("artifacts: read %s: %w", id, err)
	}
	if len(data) > s.opts.maxBytes {
		return Artifact{}, fmt.Errorf("%w: %s: stored document over %d bytes", ErrTooLarge, id, s.opts.maxBytes)
	}
	return decode(data, id)
}

// write stores data as the file of id: temp file, fsync, rename, fsync dir.
func (s *FileStore) write(id string, data []byte) (err error) {
	shardDir, file := s.path(id)
	if err := os.Mkdir(shardDir, dirMode); err == nil {
		if err := syncDir(s.dir); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("artifacts: write %s: %w", id, err)
	}
	tmp, err := os.CreateTemp(shardDir, tempPrefix+id+"-*")
	if err != nil {
		return fmt.Errorf("artifacts: write %s: %w", id, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("artifacts: write %s: %w", id, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("artifacts: sync %s: %w", id, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("artifacts: write %s: %w", id, err)
	}
	if err = os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("artifacts: write %s: %w", id, err)
	}
	return syncDir(shardDir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("artifacts: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("artifacts: sync dir: %w", err)
	}
	return nil
}
