package admission_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/admission"
)

// sim drives a queue with a fake clock: tasks arrive and leave at set rates.
type sim struct {
	clk *fakeClock
	q   *admission.Queue[int]
	seq int
}

func newSim(opts ...admission.Option) *sim {
	clk := newFakeClock()
	opts = append([]admission.Option{admission.WithClock(clk.now)}, opts...)
	return &sim{clk: clk, q: admission.New[int](1024, admission.Reject, opts...)}
}

// depart runs n departures spaced every apart: each waits, then a task is
// pushed and taken at once (the queue never fills).
func (s *sim) depart(n int, every time.Duration) {
	for range n {
		s.clk.advance(every)
		s.seq++
		id := "t" + strconv.Itoa(s.seq)
		_, _, _ = s.q.Push(id, admission.Batch, s.seq)
		s.q.Take(id)
	}
}

// within reports whether got is within frac (relative) of want.
func within(got, want, frac float64) bool { return math.Abs(got-want) <= frac*want }

func TestDrainRateSteady(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name        string
		every       time.Duration
		n           int
		wantRate    float64
		wantBackoff time.Duration
	}{
		{"20 per s", 50 * time.Millisecond, 600, 20, 50 * time.Millisecond},
		{"4 per s", 250 * time.Millisecond, 120, 4, 250 * time.Millisecond},
		{"1 per s", time.Second, 60, 1, time.Second},
		{"1 per 2 s", 2 * time.Second, 30, 0.5, 2 * time.Second},
		{"1 per 20 s", 20 * time.Second, 10, 0.05, 20 * time.Second},
		{"4 per s, only 5 seen", 250 * time.Millisecond, 5, 4, 250 * time.Millisecond},
		{"2 per s, only 2 seen", 500 * time.Millisecond, 2, 2, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newSim()
			s.depart(tt.n, tt.every)
			is.True(within(s.q.DrainRate(), tt.wantRate, 0.02))                               // right after a departure
			is.True(within(s.q.Backoff().Seconds(), tt.wantBackoff.Seconds(), 0.10))          // backoff ≈ 1/rate
			s.clk.advance(tt.every / 2)                                                       // between two departures
			is.True(within(s.q.DrainRate(), tt.wantRate, 0.10))                               // still ≈ rate mid-interval
			is.True(within(s.q.EstimateWait(9).Seconds(), 10*tt.wantBackoff.Seconds(), 0.10)) // ten places ≈ 10/rate
		})
	}
}

func TestDrainRateFollowsChange(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name            string
		window          time.Duration
		before, after   time.Duration // spacing of departures
		lowRate, hiRate float64       // bounds one window after the change
		settled         float64       // new rate, two windows after the change
	}{
		{"slow down 20 to 5 per s", 10 * time.Second, 50 * time.Millisecond, 200 * time.Millisecond, 5, 5.8, 5},
		{"speed up 1 to 10 per s", 10 * time.Second, time.Second, 100 * time.Millisecond, 9.4, 10, 10},
		{"short window", 2 * time.Second, 50 * time.Millisecond, 200 * time.Millisecond, 5, 5.8, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newSim(admission.WithDrainWindow(tt.window))
			s.depart(int(3*tt.window/tt.before), tt.before)
			s.depart(int(tt.window/tt.after), tt.after)
			got := s.q.DrainRate()
			is.True(got >= tt.lowRate && got <= tt.hiRate) // one window later ≥ 95% of the change shows
			s.depart(int(tt.window/tt.after), tt.after)
			is.True(within(s.q.DrainRate(), tt.settled, 0.01)) // two windows later it has settled
		})
	}
}

func TestDrainRateDecaysWhenNothingLeaves(t *testing.T) {
	is := is.New(t)
	s := newSim()
	s.depart(120, 250*time.Millisecond) // 4 per s
	_, _, err := s.q.Push("stuck", admission.Interactive, 0)
	is.NoErr(err) // a task waits and nothing leaves
	s.clk.advance(admission.DefaultDrainWindow)
	is.True(s.q.DrainRate() < 0.4)         // one window later the rate has fallen by more than 90%
	is.True(s.q.Backoff() > 2*time.Second) // and backoff has grown
	s.clk.advance(2 * admission.DefaultDrainWindow)
	is.True(within(s.q.Backoff().Seconds(), 30, 0.05)) // then backoff follows the time since the last departure
	s.clk.advance(10 * admission.DefaultDrainWindow)
	is.True(s.q.DrainRate() < 1.0/60)                     // decays toward 0
	is.Equal(s.q.Backoff(), admission.MaxBackoff)         // capped
	is.Equal(s.q.EstimateWait(2), 3*admission.MaxBackoff) // capped per place
	s.depart(40, 250*time.Millisecond)
	is.True(s.q.Backoff() < 400*time.Millisecond) // departures bring it back within the window
}

func TestDrainRatePoissonUnbiased(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		rate float64
	}{
		{"2 per s", 2},
		{"20 per s", 20},
		{"200 per s", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newSim()
			rng := rand.New(rand.NewPCG(1, 2))
			start := s.clk.now()
			next := start
			sum, n := 0.0, 0
			for tick := range 12000 { // ten minutes sampled every 50 ms, the first 30 s skipped
				at := start.Add(time.Duration(tick) * 50 * time.Millisecond)
				for ; !next.After(at); next = next.Add(time.Duration(rng.ExpFloat64() / tt.rate * float64(time.Second))) {
					s.depart(1, next.Sub(s.clk.now()))
				}
				s.clk.advance(at.Sub(s.clk.now()))
				sum += s.q.DrainRate() * float64(min(tick/600, 1))
				n += min(tick/600, 1)
			}
			is.True(within(sum/float64(n), tt.rate, 0.05)) // the mean estimate is the true rate
		})
	}
}

func TestBackoffClamping(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		every  time.Duration
		n      int
		pos    int
		want   time.Duration
		wantR0 bool // DrainRate is exactly 0
	}{
		{"nothing measured", 0, 0, 0, admission.DefaultBackoff, true},
		{"nothing measured, 5 places", 0, 0, 4, 5 * admission.DefaultBackoff, true},
		{"one take is no measurement", time.Second, 1, 0, admission.DefaultBackoff, true},
		{"negative position", time.Second, 10, -1, 0, false},
		{"fast drain floors", time.Millisecond, 5000, 0, admission.MinBackoff, false},
		{"fast drain floors the total", time.Millisecond, 5000, 9, admission.MinBackoff, false},
		{"burst at one instant", 0, 5, 0, admission.MinBackoff, false},
		{"slow drain caps", 90 * time.Second, 20, 0, admission.MaxBackoff, false},
		{"slow drain caps per place", 90 * time.Second, 20, 3, 4 * admission.MaxBackoff, false},
		{"huge position saturates", time.Second, 10, math.MaxInt, time.Duration(math.MaxInt64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := newSim()
			s.depart(tt.n, tt.every)
			is.Equal(s.q.EstimateWait(tt.pos), tt.want)  // clamped estimate
			is.Equal(s.q.DrainRate() == 0, tt.wantR0)    // rate reported only once measured
			is.Equal(s.q.Backoff(), s.q.EstimateWait(0)) // Backoff is the wait for one place
			is.True(!math.IsNaN(s.q.DrainRate()))        // never NaN
			is.True(!math.IsInf(s.q.DrainRate(), 0))     // never infinite
		})
	}
}

func TestRemoveIsNotDrain(t *testing.T) {
	is := is.New(t)
	s := newSim()
	for _, id := range ids("r", 20) {
		s.clk.advance(100 * time.Millisecond)
		_, _, err := s.q.Push(id, admission.Interactive, 0)
		is.NoErr(err) // queued
		_, ok := s.q.Remove(id)
		is.True(ok) // canceled
	}
	is.Equal(s.q.DrainRate(), 0.0)                    // removals are not departures
	is.Equal(s.q.Backoff(), admission.DefaultBackoff) // so nothing is measured
}

func TestClockGoingBackwards(t *testing.T) {
	is := is.New(t)
	s := newSim()
	s.depart(20, 100*time.Millisecond)
	s.clk.advance(-time.Minute)
	s.depart(1, 0)
	r := s.q.DrainRate()
	is.True(r > 0 && !math.IsInf(r, 0)) // a clock step back neither breaks nor zeroes the estimate
}

func TestNonPositiveDrainWindowIsIgnored(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name   string
		window time.Duration
	}{
		{"zero", 0},
		{"negative", -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, want := newSim(admission.WithDrainWindow(tt.window)), newSim()
			got.depart(40, 100*time.Millisecond)
			want.depart(40, 100*time.Millisecond)
			got.depart(1, 3*time.Second)
			want.depart(1, 3*time.Second)
			is.Equal(got.q.DrainRate(), want.q.DrainRate()) // the default window applies
		})
	}
	s := newSim(admission.WithDrainWindow(time.Second))
	d := newSim()
	s.depart(40, 100*time.Millisecond)
	d.depart(40, 100*time.Millisecond)
	s.depart(1, 3*time.Second)
	d.depart(1, 3*time.Second)
	is.True(s.q.DrainRate() != d.q.DrainRate()) // a positive window does change the estimate
}
