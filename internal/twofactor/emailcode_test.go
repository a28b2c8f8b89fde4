package twofactor

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"strings"
	"testing"
)

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestNewEmailCode(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c := NewEmailCode()
		if !sixDigits.MatchString(c) {
			t.Fatalf("NewEmailCode = %q, want six digits", c)
		}
		seen[c] = true
	}
	if len(seen) < 95 {
		t.Errorf("100 email codes held only %d distinct values", len(seen))
	}
}

// TestEmailCodeHasNoModuloBias: draws at or above the largest multiple of
// 10^6 below 2^32 are thrown away rather than folded onto the low codes.
func TestEmailCodeHasNoModuloBias(t *testing.T) {
	draws := func(vs ...uint32) *bytes.Reader {
		var b []byte
		for _, v := range vs {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return bytes.NewReader(b)
	}
	for _, v := range []struct {
		draws []uint32
		want  string
	}{
		{[]uint32{42}, "000042"},
		{[]uint32{emailCodeLimit - 1}, "999999"},
		{[]uint32{emailCodeLimit, 7}, "000007"}, // the limit itself is thrown away
		{[]uint32{0xffffffff, 0xfffffffe, 123456}, "123456"},
	} {
		if got := newEmailCode(draws(v.draws...)); got != v.want {
			t.Errorf("newEmailCode(draws %v) = %s, want %s", v.draws, got, v.want)
		}
	}
}

// TestEmailCodeBoundToToken: the stored value checks only for the token the
// code was sent for, and only under the same key.
func TestEmailCodeBoundToToken(t *testing.T) {
	e, _ := NewEmailCodes(testKey(1))
	stored := e.Hash(7, "123456")
	if !e.Match(7, "123456", stored) {
		t.Fatal("the right code for its token did not match")
	}
	if e.Match(8, "123456", stored) {
		t.Error("the code matched for another token")
	}
	if e.Match(7, "123457", stored) {
		t.Error("a wrong code matched")
	}
	same, _ := NewEmailCodes(testKey(1))
	if !same.Match(7, "123456", stored) {
		t.Error("another node with the same key could not check the code")
	}
	other, _ := NewEmailCodes(testKey(2))
	if other.Match(7, "123456", stored) {
		t.Error("the code matched under another key")
	}
}

// TestEmailCodeKeyIsDerived: the HMAC is not keyed by ACCOUNTD_SECRET_KEY
// itself (which secretbox uses for AES), but by a sub-key derived from it.
func TestEmailCodeKeyIsDerived(t *testing.T) {
	key := testKey(3)
	e, _ := NewEmailCodes(key)
	if bytes.Equal(e.key, key) {
		t.Fatal("the email-code key is the secret key itself")
	}
	raw := hmac.New(sha256.New, key)
	raw.Write([]byte{0, 0, 0, 0, 0, 0, 0, 7})
	raw.Write([]byte("123456"))
	if bytes.Equal(raw.Sum(nil), e.Hash(7, "123456")) {
		t.Error("the stored value is an HMAC under the raw secret key")
	}
}

func TestNewEmailCodesRefusesShortKeys(t *testing.T) {
	key := []byte("short-secret-key")
	_, err := NewEmailCodes(key)
	if err == nil || strings.Contains(err.Error(), string(key)) {
		t.Errorf("NewEmailCodes(16 bytes) error = %v; want a refusal that does not hold the key", err)
	}
}
