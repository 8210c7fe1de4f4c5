package placement_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/placement"
)

func TestModeNames(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		m    placement.Mode
	}{
		{"auto", placement.Auto},
		{"pin", placement.Pin},
		{"prefer", placement.Prefer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := placement.ParseMode(tt.name)
			is.NoErr(err)                    // a defined name parses
			is.Equal(got, tt.m)              // to its mode
			is.Equal(tt.m.String(), tt.name) // String is the inverse
			text, err := tt.m.MarshalText()
			is.NoErr(err)                   // a defined mode marshals
			is.Equal(string(text), tt.name) // as its name
			var back placement.Mode
			is.NoErr(back.UnmarshalText(text)) // and unmarshals
			is.Equal(back, tt.m)               // round trip
		})
	}
	is.Equal(placement.Mode(9).String(), "Mode(9)") // undefined values print their number
}

func TestStrategyNames(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		s    placement.Strategy
	}{
		{"least-loaded", placement.LeastLoaded},
		{"round-robin", placement.RoundRobin},
		{"random", placement.Random},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := placement.ParseStrategy(tt.name)
			is.NoErr(err)                    // a defined name parses
			is.Equal(got, tt.s)              // to its strategy
			is.Equal(tt.s.String(), tt.name) // String is the inverse
			text, err := tt.s.MarshalText()
			is.NoErr(err)                   // a defined strategy marshals
			is.Equal(string(text), tt.name) // as its name
			var back placement.Strategy
			is.NoErr(back.UnmarshalText(text)) // and unmarshals
			is.Equal(back, tt.s)               // round trip
		})
	}
	is.Equal(placement.Strategy(9).String(), "Strategy(9)") // undefined values print their number
}

func TestUnknownNames(t *testing.T) {
	is := is.New(t)
	tests := []string{"", "Auto", "PIN", "least_loaded", "leastloaded", "rr", "random "}
	for _, name := range tests {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			_, errMode := placement.ParseMode(name)
			_, errStrategy := placement.ParseStrategy(name)
			is.True(isErr(errMode, placement.ErrUnknownMode))         // unknown mode names are refused
			is.True(isErr(errStrategy, placement.ErrUnknownStrategy)) // unknown strategy names are refused
		})
	}
	_, err := placement.Mode(3).MarshalText()
	is.True(isErr(err, placement.ErrUnknownMode)) // undefined modes do not marshal
	_, err = placement.Strategy(3).MarshalText()
	is.True(isErr(err, placement.ErrUnknownStrategy)) // undefined strategies do not marshal
	var m placement.Mode
	is.True(isErr(m.UnmarshalText([]byte("pinned")), placement.ErrUnknownMode)) // unknown text does not unmarshal
	var s placement.Strategy
	is.True(isErr(s.UnmarshalText([]byte("fastest")), placement.ErrUnknownStrategy)) // unknown text does not unmarshal
}

func TestNewPanicsOnUndefinedStrategy(t *testing.T) {
	is := is.New(t)
	is.Equal(recovered(func() { placement.New(placement.Strategy(5)) }), "placement: undefined strategy Strategy(5)") // programming error
	is.Equal(placement.New(placement.Random).Strategy(), placement.Random)                                            // the strategy is kept
}
