package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/orchestratord/orchestratord/libs/sessions"
)

// recordVersion is the layout of a stored session; a record of another
// layout is refused rather than misread.
const recordVersion = 1

// The stored form of a session, big-endian:
//
//	version     1 byte
//	expires     8 bytes, Unix nanoseconds (wall clock)
//	turns       8 bytes
//	tokens      8 bytes spent
//	decode      8 bytes spent, nanoseconds
//	cost        8 bytes spent, IEEE 754
//	flags       1 byte (bit 0: the last pool is warm)
//	pool length uvarint, then the last pool's id
//	crc         4 bytes, CRC-32C of everything before it
const (
	fixedLen  = 1 + 8*5 + 1
	crcLen    = 4
	flagWarm  = 1
	maxRecord = fixedLen + binary.MaxVarintLen64 + maxPoolLen + crcLen
	// maxPoolLen bounds a stored pool id (pool ids are ids: 128 bytes).
	maxPoolLen = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends the stored form of r to dst.
func appendRecord(dst []byte, r *sessions.Record) ([]byte, error) {
	if len(r.LastPool) > maxPoolLen {
		return dst, fmt.Errorf("last pool id of %d bytes (at most %d)", len(r.LastPool), maxPoolLen)
	}
	start := len(dst)
	dst = append(dst, recordVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Expires.UnixNano()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Turns))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Spent.Tokens))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Spent.Time))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(r.Spent.Cost))
	var flags byte
	if r.Warm {
		flags |= flagWarm
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(r.LastPool)))
	dst = append(dst, r.LastPool...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli)), nil
}

// errRecord is the reason of a record that cannot be read.
var errRecord = errors.New("unreadable record")

// decodeRecord reads the stored form of session id.
func decodeRecord(id string, v []byte) (sessions.Record, error) {
	if len(v) < fixedLen+1+crcLen || len(v) > maxRecord {
		return sessions.Record{}, fmt.Errorf("%w: %d bytes", errRecord, len(v))
	}
	body, sum := v[:len(v)-crcLen], binary.BigEndian.Uint32(v[len(v)-crcLen:])
	if crc32.Checksum(body, castagnoli) != sum {
		return sessions.Record{}, fmt.Errorf("%w: checksum mismatch", errRecord)
	}
	if body[0] != recordVersion {
		return sessions.Record{}, fmt.Errorf("%w: layout version %d (this build reads %d)", errRecord, body[0], recordVersion)
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(body[1+8*i:]) }
	r := sessions.Record{
		ID:      id,
		Expires: time.Unix(0, int64(u(0))),
		Turns:   int(u(1)),
		Spent: sessions.Usage{
			Tokens: int64(u(2)), Time: time.Duration(u(3)), Cost: math.Float64frombits(u(4)),
		},
		Warm: body[fixedLen-1]&flagWarm != 0,
	}
	n, k := binary.Uvarint(body[fixedLen:])
	if k <= 0 || n != uint64(len(body)-fixedLen-k) {
		return sessions.Record{}, fmt.Errorf("%w: bad pool length", errRecord)
	}
	r.LastPool = string(body[fixedLen+k:])
	if r.Turns < 0 || r.Spent.Tokens < 0 || r.Spent.Time < 0 || r.Spent.Cost < 0 || math.IsNaN(r.Spent.Cost) {
		return sessions.Record{}, fmt.Errorf("%w: negative or NaN counter", errRecord)
	}
	return r, nil
}
