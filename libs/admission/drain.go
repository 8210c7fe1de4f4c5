package admission

import (
	"math"
	"time"
)

// Bounds and defaults of the drain-rate based estimates.
const (
	// DefaultDrainWindow is the default smoothing window of the drain rate.
	DefaultDrainWindow = 10 * time.Second
	// MinBackoff is the smallest back-off or wait ever returned for a
	// non-negative position.
	MinBackoff = 50 * time.Millisecond
	// MaxBackoff caps the time estimated for one queue place to free up.
	MaxBackoff = 60 * time.Second
	// DefaultBackoff is the time per queue place assumed before any drain
	// rate has been measured (fewer than two Takes so far).
	DefaultBackoff = time.Second
)

// minSpan keeps departures at the same instant from producing an infinite
// rate: an observed span is at least this long.
const minSpan = time.Millisecond

// drainMeter estimates the rate of departures (Takes) per second.
//
// It reconstructs a piecewise-constant departure rate: the interval between
// two consecutive departures holds exactly one departure, spread evenly over
// it (rate 1/length). The estimate is the exponentially time-weighted mean of
// that rate over the observed span, with time constant tau = window/3:
//
//	rate(now) = ∫ r(t)·e^{-(now-t)/tau} dt / ∫ e^{-(now-t)/tau} dt,  t ∈ [first, now]
//
// For a steady (or Poisson) departure process this equals the true rate at
// every instant, from the second departure on and without a saw-tooth
// between departures. After a change of rate, 95% of the change shows one
// window later. The still-open interval since the last departure is counted
// at the current estimate, but never above 1/(its length): while nothing
// leaves, the estimate falls toward 1/(time since the last departure).
//
// Every update is O(1) and allocation-free.
type drainMeter struct {
	tau         float64 // seconds
	departures  int     // saturates at 2: none, one, or measured
	first, last time.Time
	mass        float64 // decayed departures after the first, as of last
}

func newDrainMeter(window time.Duration) drainMeter {
	return drainMeter{tau: window.Seconds() / 3}
}

// observe records one departure at t.
func (m *drainMeter) observe(t time.Time) {
	if m.departures == 0 {
		m.first, m.last, m.departures = t, t, 1
		return
	}
	m.departures = 2
	d := max(t.Sub(m.last), 0).Seconds()
	m.mass = m.mass*math.Exp(-d/m.tau) + m.spread(d)
	if t.After(m.last) {
		m.last = t
	}
}

// spread is the decayed weight, as of its end, of one departure spread
// evenly over an interval of d seconds: (tau/d)·(1 − e^{−d/tau}), 1 for d=0.
func (m *drainMeter) spread(d float64) float64 {
	if d <= 0 {
		return 1
	}
	return -m.tau * math.Expm1(-d/m.tau) / d
}

// weight is ∫ e^{-s/tau} ds over [0, span]: the decayed length of a span.
func (m *drainMeter) weight(span float64) float64 {
	return -m.tau * math.Expm1(-span/m.tau)
}

// measured reports whether a rate has been measured (two departures seen).
func (m *drainMeter) measured() bool { return m.departures >= 2 }

// rate returns the estimated departures per second at now (0 before two
// departures were seen).
func (m *drainMeter) rate(now time.Time) float64 {
	if !m.measured() {
		return 0
	}
	closed := m.mass / m.weight(max(m.last.Sub(m.first), minSpan).Seconds())
	age := max(now.Sub(m.last), 0).Seconds()
	if age == 0 {
		return closed
	}
	open := min(closed, 1/age)
	num := m.mass*math.Exp(-age/m.tau) + open*m.weight(age)
	return num / m.weight(max(now.Sub(m.first), minSpan).Seconds())
}

// DrainRate returns the measured rate, in tasks per second, at which tasks
// leave the queue through Take: a time-weighted moving rate (see
// WithDrainWindow) that falls toward 0 while nothing leaves, roughly as
// 1/(time since the last Take). It is 0 until two Takes have been seen.
func (q *Queue[T]) DrainRate() float64 { return q.drain.rate(q.now()) }

// Backoff returns how long a refused client should wait before retrying: the
// expected time until one queue place frees, 1/DrainRate, clamped to
// [MinBackoff, MaxBackoff]; DefaultBackoff before a rate is measured. While
// nothing leaves, Backoff grows with the time since the last Take, up to
// MaxBackoff. It equals EstimateWait(0): the first place that frees lets a
// refused task in.
func (q *Queue[T]) Backoff() time.Duration { return q.EstimateWait(0) }

// EstimateWait returns the expected time until the task at 0-based position
// pos leaves the queue: (pos+1)/DrainRate. The time per place is capped at
// MaxBackoff (DefaultBackoff before a rate is measured), so the estimate
// grows with the number of tasks ahead and never exceeds (pos+1)*MaxBackoff;
// the total is at least MinBackoff and saturates at the largest Duration.
// It returns 0 when pos < 0.
func (q *Queue[T]) EstimateWait(pos int) time.Duration {
	if pos < 0 {
		return 0
	}
	perPlace := DefaultBackoff.Seconds()
	if q.drain.measured() {
		perPlace = MaxBackoff.Seconds()
		if r := q.drain.rate(q.now()); r > 1/perPlace {
			perPlace = 1 / r
		}
	}
	total := (float64(pos) + 1) * perPlace
	if total >= float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return max(time.Duration(total*float64(time.Second)), MinBackoff)
}
