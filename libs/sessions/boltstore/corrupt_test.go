package boltstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	bolt "go.etcd.io/bbolt"

	"github.com/orchestratord/orchestratord/libs/sessions"
	"github.com/orchestratord/orchestratord/libs/sessions/boltstore"
)

// rawPut writes key → value into the file's bucket behind the adapter's
// back (the file must be closed).
func rawPut(t *testing.T, path string, kv map[string][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("sessions"))
		for k, v := range kv {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// rawGet reads a stored value behind the adapter's back.
func rawGet(t *testing.T, path, key string) []byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v []byte
	if err := db.View(func(tx *bolt.Tx) error {
		v = append([]byte(nil), tx.Bucket([]byte("sessions")).Get([]byte(key))...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// resum replaces the trailing CRC-32C of a record with a correct one.
func resum(v []byte) []byte {
	body := v[:len(v)-4]
	return binary.BigEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

func TestCorruptRecordsAreReportedAndRemoved(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sessions.db")
	s, err := boltstore.Open(path)
	is.NoErr(err) // open
	good := sessions.Record{ID: "good", Expires: time.Unix(1_700_000_000, 0), Turns: 2, LastPool: "p"}
	is.NoErr(s.Commit(ctx, []sessions.Change{{Record: good}})) // a readable record
	is.NoErr(s.Close())
	valid := rawGet(t, path, "good")

	flipped := append([]byte(nil), valid...)
	flipped[3] ^= 0x40
	otherLayout := append([]byte(nil), valid...)
	otherLayout[0] = 2
	negative := append([]byte(nil), valid...)
	binary.BigEndian.PutUint64(negative[9:], 1<<63) // turns < 0
	badPoolLen := append([]byte(nil), valid...)
	badPoolLen[42] = 9 // the pool id is 1 byte
	rawPut(t, path, map[string][]byte{
		"bit-rot":      flipped,
		"other-layout": resum(otherLayout),
		"negative":     resum(negative),
		"bad-pool-len": resum(badPoolLen),
		"short":        valid[:10],
		"empty":        {},
		"huge":         append(valid, make([]byte, 4096)...),
		"bad key!":     valid,
	})

	s2 := open(t, path)
	got, errs := load(t, s2)
	is.Equal(len(got), 1)       // the good one loads
	is.Equal(got["good"], good) // intact
	is.Equal(len(errs), 8)      // every bad one is reported
	for _, err := range errs {
		is.True(errors.Is(err, boltstore.ErrCorrupt)) // as corrupt
	}
	got, errs = load(t, s2)
	is.Equal(len(errs), 0) // removed: reported once
	is.Equal(len(got), 1)  // the good one stays
}

func TestStoreLoadReportsCorruptSessions(t *testing.T) {
	is := is.New(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	c := newClock()
	d, _ := openDurable(t, path, c, sessions.Budgets{})
	d.store.Begin("ok")
	d.store.End("ok", sessions.Turn{Placed: true})
	d.close(t)
	rawPut(t, path, map[string][]byte{"broken": []byte("not a record"), strings.Repeat("k", 200): []byte("x")})

	d, st := openDurable(t, path, c, sessions.Budgets{})
	defer d.close(t)
	is.Equal(st.Loaded, 1)       // the readable one
	is.Equal(len(st.Corrupt), 2) // both unreadable ones named
	is.Equal(st.Corrupt[0], "broken")
	is.True(strings.HasPrefix(st.Corrupt[1], `"kkk`)) // an invalid key is quoted
}
