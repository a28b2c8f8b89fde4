package password

import (
	"runtime"
	"strings"
	"testing"
)

// Benchmarks of the password hot paths: the rules run on every register,
// reset-complete and change-password; argon2id on every login too. The
// hashes-per-second figure of BenchmarkHashParallel is the "hash bound" that
// cmd/accountd-bench measures (docs/benchmarks.md).

func BenchmarkPolicyCheckCases(b *testing.B) {
	p := DefaultPolicy()
	commonPasswords() // build the set outside the timed loop
	const email = "ada.lovelace@example.org"
	for _, c := range []struct{ name, pw string }{
		{"accepted", "Correct-Horse-7391"},
		{"common", "password1"},
		{"similar", "ada.lovelace1"},
		{"numeric", "12345678901"},
		{"short", "abc"},
		{"unicode", "Пароль-Мой-Ŝekreta-7391"},
		{"max-length", strings.Repeat("Correct-Horse-7391-", 14)[:256]},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p.Check(c.pw, email)
			}
		})
	}
}

func BenchmarkNormalize(b *testing.B) {
	for b.Loop() {
		Normalize("Correct-Horse-7391-ﬁﬂ")
	}
}

// BenchmarkVerifyDefault is one login's hashing work.
func BenchmarkVerifyDefault(b *testing.B) {
	h := NewHasher(DefaultParams())
	enc, err := h.Hash("Correct-Horse-7391")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, _ := h.Verify("Correct-Horse-7391", enc); !ok {
			b.Fatal("Verify() = false, want true")
		}
	}
}

// BenchmarkHashParallel hashes on every core at once and reports hashes per
// second over all of them: the ceiling of logins and resets per second.
func BenchmarkHashParallel(b *testing.B) {
	h := NewHasher(DefaultParams())
	b.SetParallelism(1) // one goroutine per GOMAXPROCS
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Hash("Correct-Horse-7391"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
}
