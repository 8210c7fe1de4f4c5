package tasks

import (
	"time"
)

// ewmaWeight is the weight of a new sample in the moving averages below.
const ewmaWeight = 0.2

// poolStats holds each pool's measured speed: moving averages of decode
// throughput (tokens/s), time to first token, and tokens per task.
// Guarded by Service.mu.
type poolStats struct {
	byPool map[string]*speed
}

type speed struct {
	tokensPerS float64
	ttft       float64 // seconds
	tokens     float64 // tokens per finished task
	samples    int
}

func newPoolStats() poolStats { return poolStats{byPool: map[string]*speed{}} }

func ewma(old, sample float64, n int) float64 {
	if n == 0 {
		return sample
	}
	return old + ewmaWeight*(sample-old)
}

// observe records a task that produced tokens on pool.
func (p *poolStats) observe(pool string, ttft, decode time.Duration, tokens int) {
	if tokens <= 0 || decode <= 0 {
		return
	}
	sp := p.byPool[pool]
	if sp == nil {
		sp = &speed{}
		p.byPool[pool] = sp
	}
	sp.tokensPerS = ewma(sp.tokensPerS, float64(tokens)/decode.Seconds(), sp.samples)
	sp.ttft = ewma(sp.ttft, ttft.Seconds(), sp.samples)
	sp.tokens = ewma(sp.tokens, float64(tokens), sp.samples)
	sp.samples++
}

// runTime estimates how long a task of `tokens` takes on the fastest
// measured pool among ids; ok is false when none is measured yet.
func (p *poolStats) runTime(ids []string, tokens int) (time.Duration, bool) {
	best := time.Duration(0)
	found := false
	for _, id := range ids {
		sp := p.byPool[id]
		if sp == nil || sp.tokensPerS <= 0 {
			continue
		}
		n := float64(tokens)
		if n <= 0 {
			n = sp.tokens
		}
		d := time.Duration((sp.ttft + n/sp.tokensPerS) * float64(time.Second))
		if !found || d < best {
			best, found = d, true
		}
	}
	return best, found
}

// onTimeProbability is a coarse estimate of meeting a deadline given the
// expected remaining time: 1 with comfortable slack, falling linearly to 0
// as the expected time reaches twice the time left.
func onTimeProbability(deadline time.Time, now time.Time, expected time.Duration) float64 {
	if deadline.IsZero() {
		return 1
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return 0
	}
	if expected <= left/2 {
		return 1
	}
	if expected >= 2*left {
		return 0
	}
	// Between left/2 and 2·left: linear from 1 to 0.
	return 1 - float64(expected-left/2)/float64(2*left-left/2)
}
