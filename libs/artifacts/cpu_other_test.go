//go:build !unix

package artifacts_test

import "time"

// processCPU is not measured outside unix: cpu-ns/op reads 0.
func processCPU() time.Duration { return 0 }
