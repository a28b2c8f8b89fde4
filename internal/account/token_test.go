package account

import (
	"strings"
	"testing"
)

// TestNewTokenShapeAndSpread: 40 characters of [a-z0-9], no repeats, and
// every character of the alphabet about equally often (the rejection of
// bytes >= 252 keeps % 36 unbiased).
func TestNewTokenShapeAndSpread(t *testing.T) {
	const n = 5000
	seen := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < n; i++ {
		tok := NewToken()
		if !validToken(tok) {
			t.Fatalf("NewToken() = %q, want 40 of [a-z0-9]", tok)
		}
		if seen[tok] {
			t.Fatalf("NewToken() repeated %q", tok)
		}
		seen[tok] = true
		for _, c := range tok {
			counts[c]++
		}
	}
	want := float64(n*TokenLength) / float64(len(tokenAlphabet))
	for _, c := range tokenAlphabet {
		// 200,000 draws over 36 symbols: a bias of 10% would be ~17 sigma.
		if got := float64(counts[c]); got < want*0.9 || got > want*1.1 {
			t.Errorf("%q appeared %v times, want about %.0f", c, got, want)
		}
	}
}

func TestNewSecretHex(t *testing.T) {
	a, b := NewSecretHex(), NewSecretHex()
	if !validSecretHex(a) || a == b || strings.ToLower(a) != a {
		t.Errorf("NewSecretHex() = %q, %q, want two different 64-character lower-case hex strings", a, b)
	}
}
