//go:build !linux

package jobres_test

import "time"

// selfCPU is not measured here (see cpu_linux_test.go).
func selfCPU() time.Duration { return 0 }

// postgresCPU is not measured here (see cpu_linux_test.go).
func postgresCPU(string) time.Duration { return 0 }
