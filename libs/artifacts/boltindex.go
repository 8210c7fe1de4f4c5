package artifacts

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// errIndexMoved: a read transaction began before a merge that has since
// removed the entries it merged from the pending index; the read starts
// again in a newer transaction, which sees them in "ids".
var errIndexMoved = errors.New("artifacts: the id index moved during the read")

// idKey is an id as its 32 raw bytes.
type idKey = [sha256.Size]byte

// pendingIndex is the part of the id index that is not in bucket "ids" yet:
// the ids of the documents stored since the last merge, with their sequence
// numbers (see BoltStore). It is safe for concurrent use.
//
// Write transactions are serialized by bbolt, but a transaction may still
// roll back after its writes reached the index, and readers run beside the
// writer. So every entry carries the id of the transaction that stored it:
// a read transaction sees an entry only when its own snapshot includes that
// transaction (txid <= its id). The outcome of a write transaction is
// applied when it commits (bbolt's OnCommit) or, at the latest, when the
// next write transaction begins, which tells it from its own id (one higher
// after a commit, the same after a rollback): a rolled-back transaction's
// entries are undone, and a merge's entries leave the index once its
// transaction committed. This holds because every write transaction of the
// store after NewBoltStore's registers through begin (BoltStore.writeTx).
type pendingIndex struct {
	mu      sync.RWMutex
	entries map[idKey]pendingEntry
	// lastMerge is the transaction of the last merge whose entries left the
	// index: a read transaction older than it may miss them (errIndexMoved).
	lastMerge uint64
	// cur is the latest write transaction, until its outcome is applied.
	cur *indexWriter
}

type pendingEntry struct {
	seq  uint64
	txid uint64 // the write transaction that stored it; 0 when rebuilt on open
}

// indexWriter is a write transaction's changes to the pending index.
type indexWriter struct {
	tx   *bolt.Tx // identifies the transaction; Batch may retry under the same id
	txid uint64
	undo []undoEntry
	// mergedThrough is the last sequence number this transaction merged
	// into "ids" (0: none), merged how many entries it merged.
	mergedThrough uint64
	merged        int
}

type undoEntry struct {
	key  idKey
	prev pendingEntry
	had  bool
}

func newPendingIndex() *pendingIndex {
	return &pendingIndex{entries: make(map[idKey]pendingEntry)}
}

// begin returns the writer of tx, a write transaction, applying first the
// outcome of the write transaction before it.
func (p *pendingIndex) begin(tx *bolt.Tx) *indexWriter {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w := p.cur; w != nil && w.tx == tx {
		return w
	}
	txid := uint64(tx.ID())
	if p.cur != nil {
		p.settleLocked(p.cur, txid > p.cur.txid)
	}
	w := &indexWriter{tx: tx, txid: txid}
	p.cur = w
	tx.OnCommit(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.cur == w {
			p.settleLocked(w, true)
		}
	})
	return w
}

// settleLocked applies the outcome of w, the current writer.
func (p *pendingIndex) settleLocked(w *indexWriter, committed bool) {
	switch {
	case !committed:
		for _, u := range slices.Backward(w.undo) {
			if u.had {
				p.entries[u.key] = u.prev
			} else {
				delete(p.entries, u.key)
			}
		}
	case w.mergedThrough > 0:
		for k, e := range p.entries {
			if e.seq <= w.mergedThrough {
				delete(p.entries, k)
			}
		}
		p.lastMerge = w.txid
	}
	p.cur = nil
}

// seqOf returns the sequence number of key's document as the transaction
// txid sees the index. A read transaction that began before the last merge
// gets errIndexMoved.
func (p *pendingIndex) seqOf(key *idKey, txid uint64) (uint64, bool, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.lastMerge > txid {
		return 0, false, errIndexMoved
	}
	e, ok := p.entries[*key]
	if !ok || e.txid > txid {
		return 0, false, nil
	}
	return e.seq, true, nil
}

// add records that w stored key's document under seq and returns how many
// entries wait to be merged.
func (p *pendingIndex) add(w *indexWriter, key *idKey, seq uint64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, had := p.entries[*key]
	w.undo = append(w.undo, undoEntry{key: *key, prev: prev, had: had})
	p.entries[*key] = pendingEntry{seq: seq, txid: w.txid}
	return len(p.entries) - w.merged
}

// size returns how many entries the index holds.
func (p *pendingIndex) size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.entries)
}

// toMerge returns the entries w has not merged yet, sorted by key: all of
// them, or the oldest limit (by sequence number) when there are more. The
// second result is the sequence number through which every entry is then
// merged; 0 when all are.
func (p *pendingIndex) toMerge(w *indexWriter, limit int) ([]mergeEntry, uint64) {
	p.mu.RLock()
	out := make([]mergeEntry, 0, max(len(p.entries)-w.merged, 0))
	for k, e := range p.entries {
		if e.seq > w.mergedThrough {
			out = append(out, mergeEntry{key: k, seq: e.seq})
		}
	}
	p.mu.RUnlock()
	var through uint64
	if len(out) > limit {
		slices.SortFunc(out, func(a, b mergeEntry) int { return cmp.Compare(a.seq, b.seq) })
		out = out[:limit]
		through = out[limit-1].seq
	}
	slices.SortFunc(out, func(a, b mergeEntry) int { return bytes.Compare(a.key[:], b.key[:]) })
	return out, through
}

type mergeEntry struct {
	key idKey
	seq uint64
}

// merged records that w merged n entries, every one through sequence
// number through.
func (p *pendingIndex) merged(w *indexWriter, through uint64, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.mergedThrough = through
	w.merged += n
}

// merge writes the pending entries that w has not merged yet into "ids",
// in key order so that each leaf of "ids" is read and written once, and
// records under the mark that every document through the last sequence
// number merged is indexed there. Once "ids" has more leaves than
// mergeLeaves, only the oldest mergeLeaves entries are merged, so that a
// merge rewrites a bounded number of leaves. The entries leave the pending
// index when the transaction has committed.
func (t boltWriter) merge() error {
	limit := math.MaxInt
	if t.docs.Sequence()/boltIDsPerLeaf > uint64(t.mergeLeaves) {
		limit = t.mergeLeaves
	}
	entries, through := t.idx.toMerge(t.w, limit)
	// bbolt copies the keys; the values must stay as they are until the
	// commit.
	vals := make([]byte, 0, boltSeqLen*(len(entries)+1))
	for _, e := range entries {
		vals = binary.BigEndian.AppendUint64(vals, e.seq)
		if err := t.ids.Put(e.key[:], vals[len(vals)-boltSeqLen:]); err != nil {
			return err
		}
	}
	if through == 0 {
		through = t.docs.Sequence()
	}
	vals = binary.BigEndian.AppendUint64(vals, through)
	if err := t.meta.Put(t.markKey, vals[len(vals)-boltSeqLen:]); err != nil {
		return err
	}
	t.idx.merged(t.w, through, len(entries))
	return nil
}

// rebuild fills the empty pending index with the documents stored after
// the mark, which no merge has indexed. A document whose stored bytes do
// not start with its id, which Put never writes, is left out: Get reports
// it not found, and a Put of it stores it anew. It returns the bytes read.
func (p *pendingIndex) rebuild(docs *bolt.Bucket, through uint64) int {
	read := 0
	c := docs.Cursor()
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, through+1)); k != nil; k, v = c.Next() {
		read += len(v)
		key, ok := storedID(v)
		if len(k) != boltSeqLen || !ok {
			continue
		}
		p.entries[key] = pendingEntry{seq: binary.BigEndian.Uint64(k)}
	}
	return read
}

// storedID returns the id that a stored document starts with: encode writes
// `{"id":"<64 lowercase hex>"` first.
func storedID(data []byte) (idKey, bool) {
	const prefix = `{"id":"`
	var key idKey
	hexID, ok := bytes.CutPrefix(data, []byte(prefix))
	if !ok || len(hexID) <= 2*len(key) || hexID[2*len(key)] != '"' {
		return key, false
	}
	for i := range key {
		hi, lo := hexID[2*i], hexID[2*i+1]
		if !isLowerHex(hi) || !isLowerHex(lo) {
			return idKey{}, false
		}
		key[i] = byte(unhex(hi)<<4 | unhex(lo))
	}
	return key, true
}
