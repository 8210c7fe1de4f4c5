package simengine

import "strings"

// vocabText is the simulated model's vocabulary, tokens separated by NUL:
// words, most with a leading space as BPE tokenizers emit them, plus
// punctuation, a newline, a quote and non-ASCII words so that clients
// exercise JSON escaping and UTF-8. The server splits it once at New.
const vocabText = " the\x00 a\x00 model\x00 token\x00 stream\x00 engine\x00 slot\x00 pool\x00" +
	" queue\x00 task\x00 server\x00 client\x00 request\x00 answer\x00 quick\x00" +
	" brown\x00 fox\x00 jumps\x00 over\x00 lazy\x00 dog\x00 and\x00 of\x00 to\x00" +
	" in\x00 is\x00 that\x00 it\x00 for\x00 on\x00 with\x00 as\x00 was\x00 by\x00" +
	" at\x00 from\x00 this\x00 be\x00 are\x00 or\x00 an\x00 will\x00 can\x00" +
	" time\x00 data\x00 light\x00 river\x00 stone\x00 cloud\x00 green\x00" +
	" silver\x00 quiet\x00 bright\x00 early\x00 late\x00 north\x00 south\x00" +
	",\x00.\x00\n\x00 \"quoted\"\x00 naïve\x00 café\x00 orchestration"

// newVocab splits vocabText into the token table.
func newVocab() []string { return strings.Split(vocabText, "\x00") }

const (
	// tokenIDBase is the id of the first vocabulary token; ids are tokenIDBase+index.
	tokenIDBase = 1000
	// eosTokenID is the end-of-generation token ("</s>").
	eosTokenID = 2
)

// tokenRNG draws the deterministic token sequence of one (seed, prompt):
// splitmix64 seeded from FNV-1a of the prompt mixed with the seed.
type tokenRNG struct{ state uint64 }

func newTokenRNG(seed uint64, prompt string) tokenRNG {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(prompt); i++ {
		h ^= uint64(prompt[i])
		h *= prime
	}
	return tokenRNG{state: h ^ mix64(seed+0x9e3779b97f4a7c15)}
}

// next returns the index of the next token in a vocabulary of n tokens.
func (r *tokenRNG) next(n int) int {
	r.state += 0x9e3779b97f4a7c15
	return int(mix64(r.state) % uint64(n))
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// countPromptTokens is the simulated tokenizer's count: one BOS token plus
// one token per whitespace-separated word.
func countPromptTokens(s string) int {
	n, inWord := 1, false
	for i := 0; i < len(s); i++ {
		space := s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}
