// Package buildinfo holds the build metadata that `make build` sets with -ldflags.
package buildinfo

import "runtime"

// Set at link time: -X .../buildinfo.Commit=<sha> -X .../buildinfo.Time=<RFC3339>.
var (
	Commit = "unknown"
	Time   = "unknown"
)

// GoVersion is the Go toolchain the binary was built with.
func GoVersion() string { return runtime.Version() }
