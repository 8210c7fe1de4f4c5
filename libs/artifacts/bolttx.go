package artifacts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// boltTx is one transaction's buckets and its view of the pending index.
type boltTx struct {
	docs, ids, meta *bolt.Bucket
	legacy          *bolt.Bucket // nil unless the file has the earlier layout's bucket
	idx             *pendingIndex
	txid            uint64
	markKey         []byte
}

// boltWriter is a write transaction: it appends documents and merges the
// pending index into "ids" once it holds mergeAt entries.
type boltWriter struct {
	boltTx
	w           *indexWriter
	mergeAt     int
	mergeLeaves int
	touched     *atomic.Int64
}

// readTx returns the buckets NewBoltStore created (and the earlier layout's,
// when the file has it) as tx sees them.
func (s *BoltStore) readTx(tx *bolt.Tx) (boltTx, error) {
	b := boltTx{
		docs: tx.Bucket(s.docsName), ids: tx.Bucket(s.idsName), meta: tx.Bucket(s.metaName),
		legacy: tx.Bucket(s.legacyName), idx: s.idx, txid: uint64(tx.ID()), markKey: s.markKey,
	}
	if b.docs == nil || b.ids == nil || b.meta == nil {
		return boltTx{}, fmt.Errorf("%w: bucket %q, %q or %q is missing", ErrCorrupt, boltDocsBucket, boltIDsBucket, boltMetaBucket)
	}
	return b, nil
}

// writeTx is readTx for a write transaction, which it registers with the
// pending index.
func (s *BoltStore) writeTx(tx *bolt.Tx) (boltWriter, error) {
	b, err := s.readTx(tx)
	if err != nil {
		return boltWriter{}, err
	}
	// A bucket's FillPercent lasts one transaction.
	b.docs.FillPercent = boltDocsFillPercent
	return boltWriter{boltTx: b, w: s.idx.begin(tx), mergeAt: s.opts.mergeAt, mergeLeaves: s.opts.mergeLeaves, touched: &s.touched}, nil
}

// lookup returns the document stored under id (key is its raw bytes) and
// its sequence number, or a nil seq for a document of the earlier layout
// (looked up by the hex id). The pending index is asked first, then "ids",
// then the earlier layout's bucket. It returns nil data when none is stored,
// ErrCorrupt when the index names a document that is not there, and
// errIndexMoved to a read transaction that a merge overtook.
func (b boltTx) lookup(key *idKey, id string) (seq, data []byte, err error) {
	n, pending, err := b.idx.seqOf(key, b.txid)
	if err != nil {
		return nil, nil, err
	}
	if pending {
		seq = binary.BigEndian.AppendUint64(make([]byte, 0, boltSeqLen), n)
	} else {
		seq = b.ids.Get(key[:])
	}
	if seq != nil {
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
// next sequence number, which the pending index then names. When that
// brings the pending index to mergeAt entries, they are merged into "ids".
func (b boltWriter) store(seq []byte, key *idKey, id string, data []byte, replace bool) error {
	if replace && seq != nil {
		// The key must stay valid until the commit: seq may point into the page.
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
	if b.idx.add(b.w, key, n) < b.mergeAt {
		return nil
	}
	if err := b.merge(); err != nil {
		return err
	}
	// The merge read most leaves of "ids" through the mapping: the caller's
	// noteTouched releases them.
	b.touched.Add(boltReleaseBytes)
	return nil
}

// rawID returns the 32 bytes that the valid id spells in hex.
func rawID(id string) idKey {
	var key idKey
	for i := range key {
		key[i] = byte(unhex(id[2*i])<<4 | unhex(id[2*i+1]))
	}
	return key
}
