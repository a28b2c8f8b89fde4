package main

import (
	"runtime/debug"

	"github.com/accountd/accountd/internal/password"
)

// memoryBase is the part of the memory limit for everything but password
// hashing: the heap of requests, the mail worker, the page caches.
const memoryBase = 48 << 20

// setMemoryLimit sets the Go runtime's soft memory limit, unless GOMEMLIMIT
// set one already, to memoryBase plus one argon2id buffer for each hash
// that may run at once, and returns the limit in force. Without a limit the
// collector lets the heap grow to twice the live data, and every hash
// leaves its 19 MiB buffer behind as garbage: 128–149 MiB resident under
// login and complete load on two cores, 109–126 MiB with this limit (86
// MiB there), at the same CPU per request. A base of 24 MiB kept it under
// 112 MiB but cost a fifth of the throughput: the scavenger hands pages
// back and every hash faults them in again (docs/benchmarks.md). The limit
// is soft: a heap that needs more gets it, the collector works harder.
func setMemoryLimit(getenv func(string) string, hashes int, p password.Params) int64 {
	if getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := int64(memoryBase) + int64(hashes)*int64(p.Memory)<<10
	debug.SetMemoryLimit(limit)
	return limit
}
