//go:build race

package e2e

// raceBuild makes the daemon under test a -race binary when the tests are.
const raceBuild = true
