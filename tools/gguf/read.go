package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// TensorInfo is one entry of a file's tensor table.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   TensorType
	Offset uint64 // from the start of the data section
}

// File is a parsed GGUF file.
type File struct {
	Version    uint32
	KVs        []KV
	Tensors    []TensorInfo
	Alignment  int
	DataOffset uint64 // where the data section starts in the file
	data       []byte
}

// Get returns the value of key, or nil when the file has no such key.
func (f *File) Get(key string) any {
	for _, kv := range f.KVs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// TensorData returns the F32 elements of the tensor at index i of the table.
func (f *File) TensorData(i int) ([]float32, error) {
	t := f.Tensors[i]
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	start := f.DataOffset + t.Offset
	if t.Type != TensorF32 || start+4*n > uint64(len(f.data)) || start+4*n < start {
		return nil, fmt.Errorf("%w: tensor %s: type %d or extent past the end of the file", ErrInvalid, t.Name, t.Type)
	}
	out := make([]float32, n)
	for j := range out {
		out[j] = math.Float32frombits(binary.LittleEndian.Uint32(f.data[start+4*uint64(j):]))
	}
	return out, nil
}

// maxCount bounds every count read from a file so that a corrupt one cannot
// make Parse allocate without limit.
const maxCount = 1 << 24

// Parse reads a whole GGUF v2 or v3 file held in b.
func Parse(b []byte) (*File, error) {
	d := decoder{b: b}
	if string(d.take(4)) != Magic {
		return nil, fmt.Errorf("%w: no GGUF magic", ErrInvalid)
	}
	f := &File{Version: d.u32(), Alignment: DefaultAlignment, data: b}
	if f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalid, f.Version)
	}
	nTensors, nKV := d.u64(), d.u64()
	if nTensors > maxCount || nKV > maxCount {
		return nil, fmt.Errorf("%w: %d tensors, %d metadata keys", ErrInvalid, nTensors, nKV)
	}
	for range nKV {
		key := d.str()
		f.KVs = append(f.KVs, KV{Key: key, Value: d.value(ValueType(d.u32()), 0)})
		if d.err != nil {
			return nil, d.err
		}
	}
	if a, ok := f.Get("general.alignment").(uint32); ok {
		if a == 0 || a%8 != 0 {
			return nil, fmt.Errorf("%w: general.alignment %d", ErrInvalid, a)
		}
		f.Alignment = int(a)
	}
	for range nTensors {
		t := TensorInfo{Name: d.str()}
		nDims := d.u32()
		if nDims > 4 {
			return nil, fmt.Errorf("%w: tensor %s has %d dimensions", ErrInvalid, t.Name, nDims)
		}
		for range nDims {
			t.Dims = append(t.Dims, d.u64())
		}
		t.Type, t.Offset = TensorType(d.u32()), d.u64()
		if d.err != nil {
			return nil, d.err
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = align(uint64(d.pos), uint64(f.Alignment))
	if f.DataOffset > uint64(len(b)) {
		return nil, fmt.Errorf("%w: data section past the end of the file", ErrInvalid)
	}
	return f, d.err
}

// decoder reads little-endian GGUF values and keeps the first error.
type decoder struct {
	b   []byte
	pos int
	err error
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.pos) {
		d.err = fmt.Errorf("%w: truncated at byte %d", ErrInvalid, d.pos)
		return nil
	}
	out := d.b[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return out
}

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) str() string { return string(d.take(d.u64())) }

// value reads one value of type t; depth bounds nested arrays.
func (d *decoder) value(t ValueType, depth int) any {
	switch t {
	case TypeUint8:
		return d.u8()
	case TypeInt8:
		return int8(d.u8())
	case TypeUint16:
		return d.u16()
	case TypeInt16:
		return int16(d.u16())
	case TypeUint32:
		return d.u32()
	case TypeInt32:
		return int32(d.u32())
	case TypeFloat32:
		return math.Float32frombits(d.u32())
	case TypeBool:
		return d.u8() != 0
	case TypeString:
		return d.str()
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	case TypeFloat64:
		return math.Float64frombits(d.u64())
	case TypeArray:
		et, n := ValueType(d.u32()), d.u64()
		if depth > 0 || n > maxCount {
			d.fail(fmt.Errorf("%w: array of %d elements at depth %d", ErrInvalid, n, depth))
			return nil
		}
		a := Array{Type: et, Elems: make([]any, 0, min(n, 4096))}
		for range n {
			if d.err != nil {
				return nil
			}
			a.Elems = append(a.Elems, d.value(et, depth+1))
		}
		return a
	}
	d.fail(fmt.Errorf("%w: value type %d", ErrInvalid, t))
	return nil
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}
