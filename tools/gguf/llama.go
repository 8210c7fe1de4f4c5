package gguf

import (
	"fmt"
	"io"
)

// LlamaConfig shapes the tiny llama model. Zero fields take the defaults.
type LlamaConfig struct {
	Seed    uint64
	Name    string // general.name
	Layers  int    // llama.block_count
	Embd    int    // llama.embedding_length
	Heads   int    // llama.attention.head_count (= head_count_kv)
	FF      int    // llama.feed_forward_length
	Context int    // llama.context_length
}

// Defaults of LlamaConfig: two layers of width 64 with four heads and a
// 256-token context make a ~0.5 MB file.
const (
	DefaultName    = "orchestratord-tiny"
	DefaultLayers  = 2
	DefaultEmbd    = 64
	DefaultHeads   = 4
	DefaultFF      = 128
	DefaultContext = 256
)

// Token types of tokenizer.ggml.token_type (llama.cpp llama_token_type).
const (
	tokenNormal  int32 = 1
	tokenUnknown int32 = 2
	tokenControl int32 = 3
	tokenByte    int32 = 6
)

// Special token ids of the vocabulary.
const (
	UnknownID = 0
	BOSID     = 1
	EOSID     = 2
)

// Weight scales: the layers add little to the residual stream, so the
// output is driven by the token embedding (a random bigram model); the
// output head's bias column favours printable pieces over control and byte
// tokens, so generations read as gibberish text and almost never end early
// on the end-of-sequence token.
const (
	embedScale  = 0.5
	layerScale  = 0.02
	outputScale = 0.25
	outputBias  = 1.5
)

func (c LlamaConfig) withDefaults() LlamaConfig {
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.Layers, DefaultLayers)
	set(&c.Embd, DefaultEmbd)
	set(&c.Heads, DefaultHeads)
	set(&c.FF, DefaultFF)
	set(&c.Context, DefaultContext)
	if c.Name == "" {
		c.Name = DefaultName
	}
	return c
}

// Vocab is the tokenizer vocabulary: <unk>, <s>, </s>, the 256 byte tokens
// <0x00>…<0xFF>, then "▁" (the SentencePiece space) and the printable ASCII
// characters '!'…'~' as normal pieces. It also returns each token's type.
func Vocab() ([]string, []int32) {
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{tokenUnknown, tokenControl, tokenControl}
	for b := range 256 {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, tokenByte)
	}
	tokens = append(tokens, "▁")
	types = append(types, tokenNormal)
	for c := byte('!'); c <= '~'; c++ {
		tokens = append(tokens, string(c))
		types = append(types, tokenNormal)
	}
	return tokens, types
}

// Llama returns the metadata and tensors of a random llama model.
func Llama(cfg LlamaConfig) ([]KV, []Tensor, error) {
	cfg = cfg.withDefaults()
	if cfg.Embd%cfg.Heads != 0 || (cfg.Embd/cfg.Heads)%2 != 0 {
		return nil, nil, fmt.Errorf("%w: embedding %d must split into %d heads of even size", ErrInvalid, cfg.Embd, cfg.Heads)
	}
	tokens, types := Vocab()
	nVocab := len(tokens)
	tokArr := Array{Type: TypeString}
	scoreArr := Array{Type: TypeFloat32}
	typeArr := Array{Type: TypeInt32}
	for i, t := range tokens {
		tokArr.Elems = append(tokArr.Elems, t)
		score := float32(0)
		if types[i] == tokenNormal {
			score = -float32(i)
		}
		scoreArr.Elems = append(scoreArr.Elems, score)
		typeArr.Elems = append(typeArr.Elems, types[i])
	}
	kvs := []KV{
		{"general.architecture", "llama"},
		{"general.name", cfg.Name},
		{"general.file_type", uint32(0)}, // ALL_F32
		{"general.alignment", uint32(DefaultAlignment)},
		{"llama.context_length", uint32(cfg.Context)},
		{"llama.embedding_length", uint32(cfg.Embd)},
		{"llama.block_count", uint32(cfg.Layers)},
		{"llama.feed_forward_length", uint32(cfg.FF)},
		{"llama.attention.head_count", uint32(cfg.Heads)},
		{"llama.attention.head_count_kv", uint32(cfg.Heads)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(cfg.Embd / cfg.Heads)},
		{"llama.rope.freq_base", float32(10000)},
		{"llama.vocab_size", uint32(nVocab)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.pre", "default"},
		{"tokenizer.ggml.tokens", tokArr},
		{"tokenizer.ggml.scores", scoreArr},
		{"tokenizer.ggml.token_type", typeArr},
		{"tokenizer.ggml.bos_token_id", uint32(BOSID)},
		{"tokenizer.ggml.eos_token_id", uint32(EOSID)},
		{"tokenizer.ggml.unknown_token_id", uint32(UnknownID)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}

	rng := splitmix{state: cfg.Seed}
	e, ff, v := uint64(cfg.Embd), uint64(cfg.FF), uint64(nVocab)
	random := func(name string, scale float32, dims ...uint64) Tensor {
		t := Tensor{Name: name, Dims: dims}
		t.Data = make([]float32, t.Elements())
		for i := range t.Data {
			t.Data[i] = scale * rng.uniform()
		}
		return t
	}
	ones := func(name string) Tensor {
		t := Tensor{Name: name, Dims: []uint64{e}, Data: make([]float32, e)}
		for i := range t.Data {
			t.Data[i] = 1
		}
		return t
	}
	// Row r of a [e, v] matrix is token r; column 0 is a constant feature
	// that the output head reads as a bias.
	embd := random("token_embd.weight", embedScale, e, v)
	for r := range v {
		embd.Data[r*e] = 1
	}
	tensors := []Tensor{embd}
	for l := range cfg.Layers {
		p := fmt.Sprintf("blk.%d.", l)
		tensors = append(tensors,
			ones(p+"attn_norm.weight"),
			random(p+"attn_q.weight", layerScale, e, e),
			random(p+"attn_k.weight", layerScale, e, e),
			random(p+"attn_v.weight", layerScale, e, e),
			random(p+"attn_output.weight", layerScale, e, e),
			ones(p+"ffn_norm.weight"),
			random(p+"ffn_gate.weight", layerScale, e, ff),
			random(p+"ffn_up.weight", layerScale, e, ff),
			random(p+"ffn_down.weight", layerScale, ff, e),
		)
	}
	out := random("output.weight", outputScale, e, v)
	for r := range v {
		bias := float32(-outputBias)
		if types[r] == tokenNormal {
			bias = outputBias
		}
		out.Data[r*e] = bias
	}
	tensors = append(tensors, ones("output_norm.weight"), out)
	return kvs, tensors, nil
}

// WriteLlama writes the random llama model of cfg as a GGUF v3 file.
func WriteLlama(w io.Writer, cfg LlamaConfig) error {
	kvs, tensors, err := Llama(cfg)
	if err != nil {
		return err
	}
	return Write(w, kvs, tensors, DefaultAlignment)
}

// splitmix is splitmix64: a fixed, portable generator, so that a seed gives
// the same file on every Go version and platform.
type splitmix struct{ state uint64 }

func (s *splitmix) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform returns a value in [-1, 1) with 24 bits of precision.
func (s *splitmix) uniform() float32 {
	return float32(int64(s.next()>>40)-(1<<23)) / (1 << 23)
}
