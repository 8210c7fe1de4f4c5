package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Magic is the first four bytes of a GGUF file.
const Magic = "GGUF"

// Version is the GGUF version this package writes.
const Version = 3

// DefaultAlignment is the alignment of the tensor data when the metadata
// sets no general.alignment.
const DefaultAlignment = 32

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types (gguf.md, gguf_metadata_value_type).
const (
	TypeUint8 ValueType = iota
	TypeInt8
	TypeUint16
	TypeInt16
	TypeUint32
	TypeInt32
	TypeFloat32
	TypeBool
	TypeString
	TypeArray
	TypeUint64
	TypeInt64
	TypeFloat64
)

// TensorType is a ggml tensor element type.
type TensorType uint32

// TensorF32 is ggml's GGML_TYPE_F32, the only type this package writes.
const TensorF32 TensorType = 0

// KV is one metadata key and its value. Value holds one of: uint8, int8,
// uint16, int16, uint32, int32, float32, bool, string, uint64, int64,
// float64, or an Array.
type KV struct {
	Key   string
	Value any
}

// Array is a metadata array: its element type and its elements, each of the
// Go type that matches Type.
type Array struct {
	Type  ValueType
	Elems []any
}

// Tensor is one tensor: its name, its dimensions in ggml order (the first
// one contiguous) and its F32 elements.
type Tensor struct {
	Name string
	Dims []uint64
	Data []float32
}

// Elements returns the number of elements the dimensions describe.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// ErrInvalid is wrapped by every error about a file or model that is not
// valid GGUF.
var ErrInvalid = errors.New("gguf: invalid")

// Write writes a GGUF v3 file: the header, the metadata in order, the tensor
// table, then the F32 tensor data, each tensor at an offset aligned to
// alignment (the caller also states it in general.alignment when it is not
// DefaultAlignment).
func Write(w io.Writer, kvs []KV, tensors []Tensor, alignment int) error {
	if alignment <= 0 || alignment%8 != 0 {
		return fmt.Errorf("%w: alignment %d is not a positive multiple of 8", ErrInvalid, alignment)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	e := encoder{w: bw}
	e.raw([]byte(Magic))
	e.u32(Version)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		e.str(kv.Key)
		e.value(kv.Value, true)
	}
	offset := uint64(0)
	for i := range tensors {
		t := &tensors[i]
		if uint64(len(t.Data)) != t.Elements() {
			return fmt.Errorf("%w: tensor %s has %d elements for dims %v", ErrInvalid, t.Name, len(t.Data), t.Dims)
		}
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(TensorF32))
		e.u64(offset)
		offset = align(offset+4*t.Elements(), uint64(alignment))
	}
	e.pad(alignment)
	for i := range tensors {
		for _, f := range tensors[i].Data {
			e.u32(math.Float32bits(f))
		}
		e.pad(alignment)
	}
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

func align(n, a uint64) uint64 { return (n + a - 1) / a * a }

// encoder writes little-endian GGUF values and keeps the first error.
type encoder struct {
	w   *bufio.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	var n int
	n, e.err = e.w.Write(b)
	e.n += uint64(n)
}

func (e *encoder) u8(v uint8) { e.raw([]byte{v}) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:2], v)
	e.raw(e.buf[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:4], v)
	e.raw(e.buf[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:8], v)
	e.raw(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *encoder) pad(alignment int) {
	for e.err == nil && e.n%uint64(alignment) != 0 {
		e.u8(0)
	}
}

// value writes v, preceded by its type tag when tagged.
func (e *encoder) value(v any, tagged bool) {
	t, ok := typeOf(v)
	if !ok {
		if e.err == nil {
			e.err = fmt.Errorf("%w: unsupported metadata value %T", ErrInvalid, v)
		}
		return
	}
	if tagged {
		e.u32(uint32(t))
	}
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		b := uint8(0)
		if x {
			b = 1
		}
		e.u8(b)
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case Array:
		e.u32(uint32(x.Type))
		e.u64(uint64(len(x.Elems)))
		for _, el := range x.Elems {
			if et, _ := typeOf(el); et != x.Type && e.err == nil {
				e.err = fmt.Errorf("%w: array of type %d holds a %T", ErrInvalid, x.Type, el)
			}
			e.value(el, false)
		}
	}
}

func typeOf(v any) (ValueType, bool) {
	switch v.(type) {
	case uint8:
		return TypeUint8, true
	case int8:
		return TypeInt8, true
	case uint16:
		return TypeUint16, true
	case int16:
		return TypeInt16, true
	case uint32:
		return TypeUint32, true
	case int32:
		return TypeInt32, true
	case float32:
		return TypeFloat32, true
	case bool:
		return TypeBool, true
	case string:
		return TypeString, true
	case Array:
		return TypeArray, true
	case uint64:
		return TypeUint64, true
	case int64:
		return TypeInt64, true
	case float64:
		return TypeFloat64, true
	}
	return 0, false
}
