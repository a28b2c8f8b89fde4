package main

import (
	"runtime/debug"
	"testing"

	"github.com/accountd/accountd/internal/password"
)

func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	p := password.DefaultParams() // 19 MiB a hash

	got := setMemoryLimit(func(string) string { return "" }, 2, p)
	if want := int64(48+2*19) << 20; got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("limit with 2 hashes = %d (runtime %d), want %d", got, debug.SetMemoryLimit(-1), want)
	}

	debug.SetMemoryLimit(1 << 40)
	env := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1TiB"
		}
		return ""
	}
	if got := setMemoryLimit(env, 2, p); got != 1<<40 || debug.SetMemoryLimit(-1) != 1<<40 {
		t.Errorf("with GOMEMLIMIT set the limit became %d, want it left at %d", got, int64(1<<40))
	}
}
