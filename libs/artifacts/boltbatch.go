package artifacts

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// PutResult is the outcome of one artifact of a PutBatch.
type PutResult struct {
	Artifact Artifact // the stored artifact (the earlier one when not created)
	Created  bool
	Err      error
}

// BatchStore is a Store that can store several artifacts in one write.
type BatchStore interface {
	Store
	// PutBatch stores each of as like Put would, all in one write; the
	// result at i belongs to as[i]. An artifact that fails validation
	// fails alone; a failed write fails every artifact that was to be
	// written. The Content and Metadata of a created artifact's result
	// may share memory with as[i]'s: they are its canonical form.
	PutBatch(ctx context.Context, as []Artifact) []PutResult
}

var _ BatchStore = (*BoltStore)(nil)

// PutBatch implements BatchStore: one write transaction and one fsync for
// the whole batch, without the coordination of bbolt's Batch (the caller
// already holds every artifact). Within the transaction nothing else
// writes, so a corrupt stored document found for an id is overwritten at
// once.
func (s *BoltStore) PutBatch(ctx context.Context, as []Artifact) []PutResult {
	res := make([]PutResult, len(as))
	if err := ctx.Err(); err != nil {
		for i := range res {
			res[i].Err = err
		}
		return res
	}
	type prepared struct {
		i    int
		doc  Artifact
		data []byte
	}
	toWrite := make([]prepared, 0, len(as))
	// The encodings are only needed until the commit, which copies them
	// into the file's pages: they are recycled, and the results' Content
	// and Metadata are the canonical views of the submitted artifacts.
	defer func() {
		for _, p := range toWrite {
			s.releaseDocBuf(p.data)
		}
	}()
	for i, a := range as {
		doc, data, _, err := s.opts.prepareInto(s.docBuf(), a)
		if err != nil {
			s.releaseDocBuf(data)
			res[i].Err = err
			continue
		}
		toWrite = append(toWrite, prepared{i: i, doc: doc, data: data})
	}
	if len(toWrite) == 0 {
		return res
	}
	written := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		written = 0
		b, err := s.writeTx(tx)
		if err != nil {
			return err
		}
		for _, p := range toWrite {
			key := rawID(p.doc.ID)
			at, v, _ := b.lookup(&key, p.doc.ID) // a dangling index entry is replaced below
			if v != nil {
				if got, derr := s.decode(p.doc.ID, v); !errors.Is(derr, ErrCorrupt) {
					got = clone(got) // got aliases the page, valid only inside the transaction
					res[p.i] = PutResult{Artifact: got, Err: derr}
					continue
				}
			}
			if err := b.store(at, &key, p.doc.ID, p.data, v != nil); err != nil {
				return err
			}
			res[p.i] = PutResult{Artifact: p.doc, Created: true}
			written += len(p.data)
		}
		return nil
	})
	if err != nil {
		for _, p := range toWrite {
			res[p.i] = PutResult{Err: fmt.Errorf("artifacts: write %s: %w", p.doc.ID, err)}
		}
		return res
	}
	s.noteTouched(written)
	return res
}

// maxPooledDoc bounds the encoding buffers PutBatch keeps for reuse.
const maxPooledDoc = 1 << 20

// docBuf returns an empty buffer to encode a document into.
func (s *BoltStore) docBuf() []byte {
	if b, ok := s.docBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// releaseDocBuf gives back a buffer that nothing refers to any more.
func (s *BoltStore) releaseDocBuf(b []byte) {
	if b == nil || cap(b) > maxPooledDoc {
		return
	}
	b = b[:0]
	s.docBufs.Put(&b)
}

// putBatchEach is PutBatch for a Store without one: a Put per artifact.
func putBatchEach(ctx context.Context, s Store, as []Artifact) []PutResult {
	res := make([]PutResult, len(as))
	for i, a := range as {
		got, created, err := s.Put(ctx, a)
		res[i] = PutResult{Artifact: got, Created: created, Err: err}
	}
	return res
}
