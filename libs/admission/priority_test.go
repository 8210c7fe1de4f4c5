package admission_test

import (
	"testing"

	"github.com/matryer/is"

	"github.com/orchestratord/orchestratord/libs/admission"
)

func TestPriorityNames(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		p    admission.Priority
	}{
		{"interactive", admission.Interactive},
		{"batch", admission.Batch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := admission.ParsePriority(tt.name)
			is.NoErr(err)                    // a defined name parses
			is.Equal(got, tt.p)              // the name maps to its priority
			is.Equal(tt.p.String(), tt.name) // String is the inverse of ParsePriority
			text, err := tt.p.MarshalText()
			is.NoErr(err)                   // a defined priority marshals
			is.Equal(string(text), tt.name) // MarshalText uses the name
			var back admission.Priority
			is.NoErr(back.UnmarshalText(text)) // the name unmarshals
			is.Equal(back, tt.p)               // round trip
		})
	}
	is.Equal(admission.Priority(7).String(), "Priority(7)") // undefined values print their number
}

func TestPolicyNames(t *testing.T) {
	is := is.New(t)
	tests := []struct {
		name string
		p    admission.Policy
	}{
		{"reject", admission.Reject},
		{"drop-lru", admission.DropLRU},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := admission.ParsePolicy(tt.name)
			is.NoErr(err)                    // a defined name parses
			is.Equal(got, tt.p)              // the name maps to its policy
			is.Equal(tt.p.String(), tt.name) // String is the inverse of ParsePolicy
			text, err := tt.p.MarshalText()
			is.NoErr(err)                   // a defined policy marshals
			is.Equal(string(text), tt.name) // MarshalText uses the name
			var back admission.Policy
			is.NoErr(back.UnmarshalText(text)) // the name unmarshals
			is.Equal(back, tt.p)               // round trip
		})
	}
	is.Equal(admission.Policy(9).String(), "Policy(9)") // undefined values print their number
}

func TestParseRejectsUnknownNames(t *testing.T) {
	is := is.New(t)
	tests := []string{"", "Interactive", "BATCH", "drop_lru", "lru", "reject ", "high"}
	for _, name := range tests {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			_, errPrio := admission.ParsePriority(name)
			_, errPol := admission.ParsePolicy(name)
			is.True(isErr(errPrio, admission.ErrUnknownPriority)) // unknown priority names are refused
			is.True(isErr(errPol, admission.ErrUnknownPolicy))    // unknown policy names are refused
		})
	}
	_, err := admission.Priority(2).MarshalText()
	is.True(isErr(err, admission.ErrUnknownPriority)) // undefined priorities do not marshal
	_, err = admission.Policy(2).MarshalText()
	is.True(isErr(err, admission.ErrUnknownPolicy)) // undefined policies do not marshal
	var p admission.Priority
	is.True(isErr(p.UnmarshalText([]byte("urgent")), admission.ErrUnknownPriority)) // unknown text does not unmarshal
	var pol admission.Policy
	is.True(isErr(pol.UnmarshalText([]byte("drop")), admission.ErrUnknownPolicy)) // unknown text does not unmarshal
}
