package twofactor

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var shownForm = regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$`)

// TestNewRecoveryCodes: ten distinct codes of 120 bits in the readable
// form, each stored as the hash of what the user will type.
func TestNewRecoveryCodes(t *testing.T) {
	shown, hashes := NewRecoveryCodes()
	if len(shown) != RecoveryCodeCount || len(hashes) != RecoveryCodeCount {
		t.Fatalf("NewRecoveryCodes gave %d codes and %d hashes, want %d", len(shown), len(hashes), RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for i, s := range shown {
		if !shownForm.MatchString(s) || seen[s] {
			t.Errorf("code %d = %q: not in the shown form, or repeated", i, s)
		}
		seen[s] = true
		raw, err := recoveryEncoding.DecodeString(strings.ReplaceAll(s, "-", ""))
		if err != nil || len(raw)*8 != 120 {
			t.Errorf("code %q holds %d bits, want 120 (%v)", s, len(raw)*8, err)
		}
		typed, err := ParseRecoveryCode(strings.ToLower(s))
		if err != nil || !bytes.Equal(RecoveryCodeHash(typed), hashes[i]) {
			t.Errorf("code %q typed in lower case does not match its stored hash (%v)", s, err)
		}
		if bytes.Contains(hashes[i], []byte(typed)) {
			t.Errorf("the stored hash of %q holds the code", s)
		}
	}
}

func TestMatchRecoveryCode(t *testing.T) {
	shown, hashes := NewRecoveryCodes()
	for i, s := range shown {
		typed, _ := ParseRecoveryCode(strings.ReplaceAll(s, "-", " "))
		if got, ok := MatchRecoveryCode(hashes, typed); !ok || got != i {
			t.Errorf("MatchRecoveryCode(code %d) = %d, %v", i, got, ok)
		}
	}
	other, _ := NewRecoveryCodes()
	typed, _ := ParseRecoveryCode(other[0])
	if got, ok := MatchRecoveryCode(hashes, typed); ok {
		t.Errorf("another set's code matched index %d", got)
	}
	if _, ok := MatchRecoveryCode(nil, typed); ok {
		t.Error("a code matched an empty set")
	}
}

func TestFormatRecoveryCode(t *testing.T) {
	if got := FormatRecoveryCode("ABCDEFGHIJKLMNOPQRSTUVWX"); got != "ABCD-EFGH-IJKL-MNOP-QRST-UVWX" {
		t.Errorf("FormatRecoveryCode = %q", got)
	}
}
