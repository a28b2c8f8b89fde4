package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func mustNew(t *testing.T, key []byte, older ...[]byte) *Box {
	t.Helper()
	b, err := New(key, older...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	b := mustNew(t, GenerateKey())
	for _, plain := range []string{"", "x", strings.Repeat("0123456789abcdef", 8)} {
		sealed := b.Seal([]byte(plain), []byte("ad"))
		if len(plain) > 8 && bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("Seal(%q) = %x holds the plain text", plain, sealed)
		}
		got, err := b.Open(sealed, []byte("ad"))
		if err != nil || string(got) != plain {
			t.Errorf("Open(Seal(%q)) = %q, %v; want %q, nil", plain, got, err, plain)
		}
	}
	if a, c := b.Seal([]byte("same"), nil), b.Seal([]byte("same"), nil); bytes.Equal(a, c) {
		t.Errorf("two seals of one value are equal (%x): the nonce is not fresh", a)
	}
}

func TestOpenRefuses(t *testing.T) {
	key := GenerateKey()
	b := mustNew(t, key)
	sealed := b.Seal([]byte("secret"), []byte("mail 1 link"))
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	cases := map[string]struct {
		box    *Box
		sealed []byte
		ad     string
	}{
		"another key":        {mustNew(t, GenerateKey()), sealed, "mail 1 link"},
		"another ad":         {b, sealed, "mail 2 link"},
		"no ad":              {b, sealed, ""},
		"altered version":    {b, flip(0), "mail 1 link"},
		"altered key id":     {b, flip(1), "mail 1 link"},
		"altered nonce":      {b, flip(5), "mail 1 link"},
		"altered ciphertext": {b, flip(overhead), "mail 1 link"},
		"altered tag":        {b, flip(len(sealed) - 1), "mail 1 link"},
		"truncated":          {b, sealed[:overhead+3], "mail 1 link"},
		"too short":          {b, sealed[:5], "mail 1 link"},
		"empty":              {b, nil, "mail 1 link"},
	}
	for name, c := range cases {
		got, err := c.box.Open(c.sealed, []byte(c.ad))
		if !errors.Is(err, ErrOpen) || got != nil {
			t.Errorf("%s: Open = %q, %v; want nil, ErrOpen", name, got, err)
		}
	}
}

func TestOlderKeysOpen(t *testing.T) {
	old, cur := GenerateKey(), GenerateKey()
	sealedOld := mustNew(t, old).Seal([]byte("before"), nil)
	b := mustNew(t, cur, old)
	if got, err := b.Open(sealedOld, nil); err != nil || string(got) != "before" {
		t.Errorf("Open of a value sealed under the older key = %q, %v; want before", got, err)
	}
	// New values are sealed under the current key: the old key alone cannot open them.
	if _, err := mustNew(t, old).Open(b.Seal([]byte("after"), nil), nil); !errors.Is(err, ErrOpen) {
		t.Errorf("the older key opened a value sealed after rotation: %v", err)
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New(%d-byte key) = nil error, want one", n)
		}
	}
	k := GenerateKey()
	if _, err := New(k, k); err == nil {
		t.Error("New(k, k) = nil error, want one: two keys with one id")
	}
}

func TestParseKey(t *testing.T) {
	key := GenerateKey()
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		s := " " + enc.EncodeToString(key) + "\n"
		if got, err := ParseKey(s); err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v; want the key", s, got, err)
		}
	}
	for _, bad := range []string{"", "not base64 at all!", base64.StdEncoding.EncodeToString(make([]byte, 16)),
		base64.StdEncoding.EncodeToString(make([]byte, 48))} {
		_, err := ParseKey(bad)
		if err == nil {
			t.Errorf("ParseKey(%q) = nil error, want one", bad)
			continue
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("ParseKey's error %q holds the value", err)
		}
	}
}
