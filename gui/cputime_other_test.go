//go:build !unix

package gui

import "time"

// cpuTime is not measured here (benchmarks then omit the CPU ratio).
func cpuTime() time.Duration { return 0 }
