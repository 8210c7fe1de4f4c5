//go:build race

package artifacts_test

// raceEnabled: the race detector slows bbolt's commits about tenfold, so the
// heaviest tests store fewer documents.
const raceEnabled = true
