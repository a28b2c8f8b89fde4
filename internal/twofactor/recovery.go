package twofactor

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
)

// Recovery codes (docs/api.md#two-factor-authentication extension): RecoveryCodeCount codes of 120
// bits each. 120 bits is above ASVS 6.5.2's 112, so a plain SHA-256 is
// enough to store them (no salt or slow hash: guessing one is hopeless).
const (
	RecoveryCodeCount = 10
	recoveryBytes     = 15                    // 120 bits
	recoveryLength    = recoveryBytes * 8 / 5 // 24 base32 characters, no padding
	recoveryGroup     = 4                     // shown as 6 groups of 4
)

// recoveryEncoding has no 0, 1, 8 or 9, so O/0 and I/1 cannot be mistyped
// into another valid code; it is read case-insensitively.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRecoveryCodes returns a fresh set: the codes as shown to the user
// once ("ABCD-EFGH-IJKL-MNOP-QRST-UVWX") and, at the same index, the hash
// to store (RecoveryCodeHash of each).
func NewRecoveryCodes() (shown []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		b := make([]byte, recoveryBytes)
		rand.Read(b) // never fails (crypto/rand)
		c := recoveryEncoding.EncodeToString(b)
		shown = append(shown, FormatRecoveryCode(c))
		hashes = append(hashes, RecoveryCodeHash(c))
	}
	return shown, hashes
}

// FormatRecoveryCode groups a parsed recovery code by four for display.
func FormatRecoveryCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i += recoveryGroup {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i:min(i+recoveryGroup, len(code))])
	}
	return b.String()
}

// ParseRecoveryCode reads a recovery code as a user may type it: any case,
// with or without the dashes, with spaces anywhere. It returns the 24
// upper-case characters that RecoveryCodeHash takes. ASCII only: nothing is
// mapped (not 0 to O), so no two typings of different codes meet.
func ParseRecoveryCode(s string) (string, error) {
	if len(s) > maxInput {
		return "", ErrMalformed
	}
	out := make([]byte, 0, recoveryLength)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch {
		case isSpace(c) || c == '-':
		case (c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') && len(out) < recoveryLength:
			out = append(out, c)
		default:
			return "", ErrMalformed
		}
	}
	if len(out) != recoveryLength {
		return "", ErrMalformed
	}
	return string(out), nil
}

// RecoveryCodeHash is what the store keeps of a parsed recovery code, and
// what it looks a code up by.
func RecoveryCodeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// MatchRecoveryCode returns the index of the stored hash that is code's,
// comparing against every hash in constant time, for a caller that holds a
// user's unused hashes rather than looking the hash up.
func MatchRecoveryCode(hashes [][]byte, code string) (int, bool) {
	h := RecoveryCodeHash(code)
	found := -1
	for i, s := range hashes {
		if subtle.ConstantTimeCompare(s, h) == 1 {
			found = i
		}
	}
	return found, found >= 0
}
