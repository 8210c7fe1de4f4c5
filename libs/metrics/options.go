package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

var (
	// ErrNilRegisterer: New was given a nil registerer. There is no fallback
	// to the global registry.
	ErrNilRegisterer = errors.New("metrics: nil registerer")
	// ErrInvalidBuckets: histogram buckets that are empty, not finite or not
	// strictly increasing.
	ErrInvalidBuckets = errors.New("metrics: invalid histogram buckets")
)

// DefaultFirstTokenBuckets returns the default buckets of
// orchd_first_token_latency_seconds: 5 ms to 60 s.
func DefaultFirstTokenBuckets() []float64 {
	return []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
}

// DefaultDecodeBuckets returns the default buckets of
// orchd_decode_duration_seconds: 100 ms to 10 min.
func DefaultDecodeBuckets() []float64 {
	return []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
}

// DefaultQueueWaitBuckets returns the default buckets of
// orchd_queue_wait_seconds: 1 ms to 10 min.
func DefaultQueueWaitBuckets() []float64 {
	return []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600}
}

// Option configures New.
type Option func(*options)

type options struct {
	firstToken, decode, queueWait []float64
}

// WithFirstTokenBuckets replaces the buckets of
// orchd_first_token_latency_seconds (upper bounds in seconds).
func WithFirstTokenBuckets(b []float64) Option {
	return func(o *options) { o.firstToken = slices.Clone(b) }
}

// WithDecodeBuckets replaces the buckets of orchd_decode_duration_seconds.
func WithDecodeBuckets(b []float64) Option {
	return func(o *options) { o.decode = slices.Clone(b) }
}

// WithQueueWaitBuckets replaces the buckets of orchd_queue_wait_seconds.
func WithQueueWaitBuckets(b []float64) Option {
	return func(o *options) { o.queueWait = slices.Clone(b) }
}

func newOptions(opts []Option) (options, error) {
	o := options{
		firstToken: DefaultFirstTokenBuckets(),
		decode:     DefaultDecodeBuckets(),
		queueWait:  DefaultQueueWaitBuckets(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	for _, b := range []struct {
		name    string
		buckets []float64
	}{
		{nameFirstToken, o.firstToken},
		{nameDecode, o.decode},
		{nameQueueWait, o.queueWait},
	} {
		if err := validBuckets(b.buckets); err != nil {
			return options{}, fmt.Errorf("%w: %s: %s", ErrInvalidBuckets, b.name, err.Error())
		}
	}
	return o, nil
}

func validBuckets(b []float64) error {
	if len(b) == 0 {
		return errors.New("no buckets")
	}
	for i, x := range b {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("bucket %d is not finite", i)
		}
		if i > 0 && x <= b[i-1] {
			return fmt.Errorf("bucket %d (%g) is not above bucket %d (%g)", i, x, i-1, b[i-1])
		}
	}
	return nil
}
