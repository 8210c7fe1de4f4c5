package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/matryer/is"
)

func tinyModel(t *testing.T, seed uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteLlama(&buf, LlamaConfig{Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHeaderBytes(t *testing.T) {
	is := is.New(t)
	b := tinyModel(t, 1)
	is.Equal(string(b[:4]), "GGUF")                                          // magic
	is.Equal(binary.LittleEndian.Uint32(b[4:8]), uint32(3))                  // version 3
	is.Equal(binary.LittleEndian.Uint64(b[8:16]), uint64(3+9*DefaultLayers)) // tensor count
	is.Equal(binary.LittleEndian.Uint64(b[16:24]), uint64(24))               // metadata key count
	keyLen := binary.LittleEndian.Uint64(b[24:32])
	is.Equal(string(b[32:32+keyLen]), "general.architecture")               // first key
	is.Equal(binary.LittleEndian.Uint32(b[32+keyLen:]), uint32(TypeString)) // a string value
	is.True(len(b) > 400<<10 && len(b) < 700<<10)                           // about half a megabyte
}

func TestMetadata(t *testing.T) {
	is := is.New(t)
	f, err := Parse(tinyModel(t, 1))
	is.NoErr(err) // parses
	tokens, types := Vocab()
	tests := []struct {
		key  string
		want any
	}{
		{"general.architecture", "llama"},
		{"general.name", DefaultName},
		{"general.file_type", uint32(0)},
		{"general.alignment", uint32(32)},
		{"llama.context_length", uint32(DefaultContext)},
		{"llama.embedding_length", uint32(DefaultEmbd)},
		{"llama.block_count", uint32(DefaultLayers)},
		{"llama.feed_forward_length", uint32(DefaultFF)},
		{"llama.attention.head_count", uint32(DefaultHeads)},
		{"llama.attention.head_count_kv", uint32(DefaultHeads)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(DefaultEmbd / DefaultHeads)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.vocab_size", uint32(len(tokens))},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.pre", "default"},
		{"tokenizer.ggml.bos_token_id", uint32(1)},
		{"tokenizer.ggml.eos_token_id", uint32(2)},
		{"tokenizer.ggml.unknown_token_id", uint32(0)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			is := is.New(t)
			is.Equal(f.Get(tt.key), tt.want) // value and Go type (hence GGUF type)
		})
	}
	toks, ok := f.Get("tokenizer.ggml.tokens").(Array)
	is.True(ok)                              // an array
	is.Equal(toks.Type, TypeString)          // of strings
	is.Equal(len(toks.Elems), 354)           // 3 special, 256 bytes, ▁ and 94 printable
	is.Equal(toks.Elems[0], any("<unk>"))    // unknown first
	is.Equal(toks.Elems[3], any("<0x00>"))   // byte tokens next
	is.Equal(toks.Elems[258], any("<0xFF>")) // up to 0xFF
	is.Equal(toks.Elems[259], any("▁"))      // the SentencePiece space
	is.Equal(toks.Elems[353], any("~"))      // printable ASCII last
	tt, ok := f.Get("tokenizer.ggml.token_type").(Array)
	is.True(ok)                          // an array
	is.Equal(tt.Type, TypeInt32)         // of int32
	is.Equal(len(tt.Elems), len(types))  // one per token
	is.Equal(tt.Elems[2], any(int32(3))) // </s> is control
	is.Equal(tt.Elems[9], any(int32(6))) // a byte token
	sc, ok := f.Get("tokenizer.ggml.scores").(Array)
	is.True(ok)                          // an array
	is.Equal(sc.Type, TypeFloat32)       // of float32
	is.Equal(len(sc.Elems), len(tokens)) // one per token
}

func TestTensorTable(t *testing.T) {
	is := is.New(t)
	b := tinyModel(t, 1)
	f, err := Parse(b)
	is.NoErr(err) // parses
	var names []string
	for l := range DefaultLayers {
		for _, n := range []string{"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"} {
			names = append(names, fmt.Sprintf("blk.%d.%s.weight", l, n))
		}
	}
	names = append(append([]string{"token_embd.weight"}, names...), "output_norm.weight", "output.weight")
	is.Equal(len(f.Tensors), len(names)) // every tensor llama.cpp needs
	is.Equal(f.DataOffset%32, uint64(0)) // the data section is aligned
	next := uint64(0)
	for i, ti := range f.Tensors {
		is.Equal(ti.Name, names[i])       // in ggml order
		is.Equal(ti.Type, TensorF32)      // F32
		is.Equal(ti.Offset%32, uint64(0)) // each tensor aligned to 32
		is.Equal(ti.Offset, next)         // packed: right after the previous one, padded
		next = (ti.Offset + 4*product(ti.Dims) + 31) / 32 * 32
	}
	is.Equal(uint64(len(b)), f.DataOffset+next) // the file ends after the last tensor's padding
	dims := map[string][]uint64{
		"token_embd.weight":      {64, 354},
		"blk.0.attn_norm.weight": {64},
		"blk.0.attn_q.weight":    {64, 64},
		"blk.1.ffn_gate.weight":  {64, 128},
		"blk.1.ffn_down.weight":  {128, 64},
		"output.weight":          {64, 354},
		"output_norm.weight":     {64},
	}
	for i, ti := range f.Tensors {
		if want, ok := dims[ti.Name]; ok {
			is.Equal(ti.Dims, want) // ggml dimensions, first contiguous
			data, err := f.TensorData(i)
			is.NoErr(err)                              // the data is inside the file
			is.Equal(uint64(len(data)), product(want)) // element count
		}
	}
}

func product(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

func TestOutputHeadFavoursPrintable(t *testing.T) {
	is := is.New(t)
	f, err := Parse(tinyModel(t, 1))
	is.NoErr(err) // parses
	last := len(f.Tensors) - 1
	is.Equal(f.Tensors[last].Name, "output.weight") // the output head
	w, err := f.TensorData(last)
	is.NoErr(err) // readable
	_, types := Vocab()
	is.Equal(w[EOSID*DefaultEmbd], float32(-outputBias)) // EOS is pushed down
	is.Equal(w[300*DefaultEmbd], float32(outputBias))    // a printable piece is pushed up
	is.Equal(types[300], tokenNormal)                    // (it is a normal piece)
}

func TestDeterministic(t *testing.T) {
	is := is.New(t)
	a, b, c := tinyModel(t, 42), tinyModel(t, 42), tinyModel(t, 43)
	is.True(bytes.Equal(a, b))  // same seed, byte-identical
	is.True(!bytes.Equal(a, c)) // another seed, other weights
	is.Equal(len(a), len(c))    // same shape
}

func TestRoundTripValueTypes(t *testing.T) {
	is := is.New(t)
	kvs := []KV{
		{"u8", uint8(200)}, {"i8", int8(-5)}, {"u16", uint16(60000)}, {"i16", int16(-300)},
		{"u32", uint32(1 << 31)}, {"i32", int32(-1)}, {"f32", float32(0.5)}, {"bool", true},
		{"str", "héllo"}, {"u64", uint64(1 << 40)}, {"i64", int64(-1 << 40)}, {"f64", 2.25},
		{"arr", Array{Type: TypeUint16, Elems: []any{uint16(1), uint16(2)}}},
		{"general.alignment", uint32(64)},
	}
	tensors := []Tensor{{Name: "a", Dims: []uint64{3}, Data: []float32{1, 2, 3}}, {Name: "b", Dims: []uint64{2, 2}, Data: []float32{4, 5, 6, 7}}}
	var buf bytes.Buffer
	is.NoErr(Write(&buf, kvs, tensors, 64)) // written
	f, err := Parse(buf.Bytes())
	is.NoErr(err)                             // parsed back
	is.Equal(f.KVs, kvs)                      // every value with its type
	is.Equal(f.Alignment, 64)                 // from general.alignment
	is.Equal(f.Tensors[1].Offset, uint64(64)) // the second tensor starts at the next 64-byte boundary
	d, err := f.TensorData(1)
	is.NoErr(err)                      // readable
	is.Equal(d, []float32{4, 5, 6, 7}) // the data
}

func TestWriteRejects(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name    string
		kvs     []KV
		tensors []Tensor
		align   int
	}{
		{name: "bad alignment", align: 12},
		{name: "unsupported value", kvs: []KV{{"x", 1}}, align: 32},
		{name: "mixed array", kvs: []KV{{"x", Array{Type: TypeString, Elems: []any{uint8(1)}}}}, align: 32},
		{name: "data size", tensors: []Tensor{{Name: "t", Dims: []uint64{4}, Data: []float32{1}}}, align: 32},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := Write(new(bytes.Buffer), tt.kvs, tt.tensors, tt.align)
			is.True(errors.Is(err, ErrInvalid)) // refused
		})
	}
}

func TestParseRejects(t *testing.T) {
	is := is.New(t)
	good := tinyModel(t, 1)
	parsed, err := Parse(good)
	is.NoErr(err) // the good file parses
	huge := append([]byte("GGUF\x03\x00\x00\x00"), make([]byte, 16)...)
	binary.LittleEndian.PutUint64(huge[8:], 1<<40)
	tests := []struct {
		name string
		b    []byte
	}{
		{name: "empty", b: nil},
		{name: "bad magic", b: append([]byte("GGUX"), good[4:]...)},
		{name: "bad version", b: append(append([]byte("GGUF"), 9, 0, 0, 0), good[8:]...)},
		{name: "truncated metadata", b: good[:100]},
		{name: "truncated tensor table", b: good[:parsed.DataOffset-40]},
		{name: "absurd counts", b: huge},
	}
	is.True(len(tests) > 0) // the table is not empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := Parse(tt.b)
			is.True(errors.Is(err, ErrInvalid)) // refused with ErrInvalid
		})
	}
}

func TestLlamaRejectsBadShape(t *testing.T) {
	is := is.New(t)
	_, _, err := Llama(LlamaConfig{Embd: 64, Heads: 5})
	is.True(errors.Is(err, ErrInvalid)) // heads must divide the width
}
