package metrics

import "github.com/prometheus/client_golang/prometheus"

// closedSet is a label type with a fixed set of values; index is -1 for a
// value outside the set.
type closedSet interface {
	~string
	index() int
}

// label returns the label value recorded for v: v itself, or Other.
func label[T closedSet](v T) string {
	if v.index() < 0 {
		return Other
	}
	return string(v)
}

// counterBy is a counter with one closed-set label; the children of the
// known values are created up front, so recording a known value is one
// atomic add.
type counterBy[T closedSet] struct {
	vec   *prometheus.CounterVec
	known []prometheus.Counter
}

func newCounterBy[T closedSet](vec *prometheus.CounterVec, n int, at func(int) T) counterBy[T] {
	c := counterBy[T]{vec: vec, known: make([]prometheus.Counter, n)}
	for i := range n {
		c.known[i] = vec.WithLabelValues(string(at(i)))
	}
	return c
}

func (c counterBy[T]) inc(v T) {
	if i := v.index(); i >= 0 {
		c.known[i].Inc()
		return
	}
	c.vec.WithLabelValues(Other).Inc()
}

// gaugeBy is counterBy for a gauge.
type gaugeBy[T closedSet] struct {
	vec   *prometheus.GaugeVec
	known []prometheus.Gauge
}

func newGaugeBy[T closedSet](vec *prometheus.GaugeVec, n int, at func(int) T) gaugeBy[T] {
	g := gaugeBy[T]{vec: vec, known: make([]prometheus.Gauge, n)}
	for i := range n {
		g.known[i] = vec.WithLabelValues(string(at(i)))
	}
	return g
}

func (g gaugeBy[T]) set(v T, x float64) {
	if i := v.index(); i >= 0 {
		g.known[i].Set(x)
		return
	}
	g.vec.WithLabelValues(Other).Set(x)
}

// observerBy is counterBy for a histogram.
type observerBy[T closedSet] struct {
	vec   *prometheus.HistogramVec
	known []prometheus.Observer
}

func newObserverBy[T closedSet](vec *prometheus.HistogramVec, n int, at func(int) T) observerBy[T] {
	o := observerBy[T]{vec: vec, known: make([]prometheus.Observer, n)}
	for i := range n {
		o.known[i] = vec.WithLabelValues(string(at(i)))
	}
	return o
}

func (o observerBy[T]) observe(v T, x float64) {
	if i := v.index(); i >= 0 {
		o.known[i].Observe(x)
		return
	}
	o.vec.WithLabelValues(Other).Observe(x)
}
