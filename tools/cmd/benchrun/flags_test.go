package main

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/matryer/is"
)

func names(ss []scenario) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.name
	}
	return out
}

func TestParseFlagsDefaults(t *testing.T) {
	is := is.New(t)
	o, err := parseFlags(nil, io.Discard)
	is.NoErr(err)                                                                                           // no flags is valid
	is.Equal(o.bin, "bin")                                                                                  // default bin directory
	is.Equal(o.duration, 5*time.Second)                                                                     // default run length
	is.Equal(o.repeat, 2)                                                                                   // every point twice
	is.Equal(o.warmup, time.Second)                                                                         // a warm-up per target
	is.Equal(names(o.scenarios), []string{"c1", "saturated", "unsaturated", "lockstep", "rss512", "admit"}) // all, in order
	is.True(!o.jsonOut)                                                                                     // markdown by default
	is.Equal(o.outFile, "")                                                                                 // no file
}

func TestParseFlagsValues(t *testing.T) {
	is := is.New(t)
	o, err := parseFlags([]string{"--bin", "/opt/bin", "--duration", "2s", "--repeat", "3", "--warmup", "0",
		"--scenarios", " admit,c1,admit ", "--json", "--out", "bench.md", "--retention", "10m"}, io.Discard)
	is.NoErr(err)                                         // valid flags
	is.Equal(o.bin, "/opt/bin")                           // --bin
	is.Equal(o.duration, 2*time.Second)                   // --duration
	is.Equal(o.repeat, 3)                                 // --repeat
	is.Equal(o.warmup, time.Duration(0))                  // --warmup 0 turns it off
	is.Equal(names(o.scenarios), []string{"admit", "c1"}) // in the order named, once each
	is.True(o.jsonOut)                                    // --json
	is.Equal(o.outFile, "bench.md")                       // --out
	is.Equal(o.retention, 10*time.Minute)                 // --retention
}

func TestParseFlagsRejects(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"unknown scenario", []string{"--scenarios", "c1,c2"}},
		{"empty scenario list", []string{"--scenarios", " , "}},
		{"zero duration", []string{"--duration", "0s"}},
		{"huge duration", []string{"--duration", "1h"}},
		{"zero repeat", []string{"--repeat", "0"}},
		{"too many repeats", []string{"--repeat", "11"}},
		{"negative warmup", []string{"--warmup", "-1s"}},
		{"zero retention", []string{"--retention", "0s"}},
		{"empty bin", []string{"--bin", ""}},
		{"unknown flag", []string{"--nope"}},
		{"stray argument", []string{"c1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			_, err := parseFlags(tc.args, io.Discard)
			is.True(errors.Is(err, ErrUsage)) // a usage error
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	is := is.New(t)
	_, err := parseFlags([]string{"-h"}, io.Discard)
	is.True(errors.Is(err, flag.ErrHelp)) // help is not a usage error
}

func TestScenarioCatalogue(t *testing.T) {
	cases := []struct {
		name        string
		concurrency int
		delay       time.Duration
		engine      bool
		daemon      bool
	}{
		{"c1", 1, 0, true, true},
		{"saturated", 256, 0, true, true},
		{"unsaturated", 64, 5 * time.Millisecond, true, true},
		{"lockstep", 64, 5 * time.Millisecond, true, true},
		{"rss512", 512, 0, true, true},
		{"admit", 32, 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			s, ok := lookupScenario(tc.name)
			is.True(ok)                             // in the catalogue
			is.Equal(s.concurrency, tc.concurrency) // the concurrency
			is.Equal(s.tokenDelay, tc.delay)        // and engine pace
			is.Equal(s.needsEngine(), tc.engine)    // engine or closed port
			is.Equal(s.needsDaemon(), tc.daemon)    // every scenario measures the daemon
		})
	}
}
