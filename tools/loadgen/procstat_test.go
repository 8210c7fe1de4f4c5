package loadgen

import (
	"errors"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestParseStatTicks(t *testing.T) {
	cases := []struct {
		name, in string
		want     uint64
	}{
		{"plain", "1234 (orchestratord) S 1 1234 1234 0 -1 4194560 500 0 0 0 150 25 0 0 20 0 12 0 100 1000 200", 175},
		{"name with spaces and parens", "77 (my (odd) name) R 1 77 77 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 10 2", 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, err := parseStatTicks([]byte(tc.in))
			is.NoErr(err)          // parsed
			is.Equal(got, tc.want) // utime + stime
		})
	}
}

func TestParseStatTicksRejectsGarbage(t *testing.T) {
	is := is.New(t)
	_, err := parseStatTicks([]byte("no parens here"))
	is.True(errors.Is(err, ErrProcFormat)) // no command name
	_, err = parseStatTicks([]byte("1 (x) S 1 2"))
	is.True(errors.Is(err, ErrProcFormat)) // too few fields
}

func TestParseVmHWM(t *testing.T) {
	is := is.New(t)
	got, err := parseVmHWM([]byte("Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t   4321 kB\nVmRSS:\t 100 kB\n"))
	is.NoErr(err)              // parsed
	is.Equal(got, int64(4321)) // peak resident set
	_, err = parseVmHWM([]byte("Name:\tx\n"))
	is.True(errors.Is(err, ErrProcFormat)) // missing line
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    int
		want float64
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7},
		{"median of four", ms(4, 1, 3, 2), 50, 2},
		{"p99 of hundred", ms(make([]int, 99)...), 99, 0},
		{"p99 picks the tail", append(ms(make([]int, 98)...), ms(5, 9)...), 99, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(percentileMs(tc.in, tc.p), tc.want) // nearest-rank percentile
		})
	}
}

func TestPerRequestMicros(t *testing.T) {
	cases := []struct {
		name     string
		ms       float64
		requests int64
		want     float64
	}{
		{"spread", 30, 100, 300},
		{"one", 0.25, 1, 250},
		{"no requests", 30, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(perRequestMicros(tc.ms, tc.requests), tc.want) // µs per request
		})
	}
}

func TestCPUClockCountsOwnWork(t *testing.T) {
	is := is.New(t)
	c, err := startCPUClock(os.Getpid())
	is.NoErr(err) // own stat readable
	deadline := time.Now().Add(5 * time.Second)
	spent, sum := 0.0, 0
	for spent == 0 && time.Now().Before(deadline) {
		for i := range 1_000_000 {
			sum += i % 7
		}
		spent, err = c.elapsedMs()
		is.NoErr(err) // still readable
	}
	is.True(sum > 0)                            // the work was done
	is.True(spent >= 1e3/userHZ)                // at least one tick, in ms
	is.True(spent < float64(5*time.Second/1e6)) // and not more than the loop could take on one thread
	_, err = startCPUClock(1 << 30)
	is.True(errors.Is(err, fs.ErrNotExist)) // no such process
}
