package twofactor

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B.
var rfcSecret = []byte("12345678901234567890")

// TestRFC6238Vectors checks the SHA-1 column of RFC 6238 Appendix B: the
// 8-digit codes as printed, and their 6-digit forms (the same truncated
// value modulo 10^6, so the last six digits), which is what users type.
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		step := StepAt(time.Unix(v.unix, 0))
		if got := code(rfcSecret, step, otp.DigitsEight); got != v.want {
			t.Errorf("8-digit code at %d = %s, want %s", v.unix, got, v.want)
		}
		if got, want := CodeAt(rfcSecret, step), v.want[2:]; got != want {
			t.Errorf("CodeAt(%d) = %s, want %s", v.unix, got, want)
		}
	}
}

// TestCodeMatchesRFC4226ByHand recomputes codes with the standard library
// alone, so the library's per-step computation is checked beyond the six
// RFC points, at steps and secrets of every kind.
func TestCodeMatchesRFC4226ByHand(t *testing.T) {
	for i := range 200 {
		secret := NewSecret()
		step := Step(i * 7919)
		if got, want := CodeAt(secret, step), byHand(secret, step); got != want {
			t.Fatalf("CodeAt(step %d) = %s, want %s", step, got, want)
		}
	}
}

func byHand(secret []byte, step Step) string {
	m := hmac.New(sha1.New, secret)
	binary.Write(m, binary.BigEndian, uint64(step))
	sum := m.Sum(nil)
	o := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[o:o+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

func TestStepAt(t *testing.T) {
	for _, v := range []struct {
		unix int64
		want Step
	}{{0, 0}, {29, 0}, {30, 1}, {59, 1}, {1111111109, 37037036}, {-1, -1}, {-30, -1}, {-31, -2}} {
		if got := StepAt(time.Unix(v.unix, 0)); got != v.want {
			t.Errorf("StepAt(%d) = %d, want %d", v.unix, got, v.want)
		}
	}
}

func TestNewTOTPWindowBounds(t *testing.T) {
	for w := -1; w <= MaxWindow+1; w++ {
		_, err := NewTOTP(w)
		if ok := w >= 0 && w <= MaxWindow; (err == nil) != ok {
			t.Errorf("NewTOTP(%d) error = %v, want accepted %v", w, err, ok)
		}
	}
}

var now = time.Unix(1_800_000_015, 0) // mid-step

// TestVerifyWindow: a code from d steps away is accepted exactly when
// |d| <= window, and the step returned is the step of the code.
func TestVerifyWindow(t *testing.T) {
	secret := NewSecret()
	cur := StepAt(now)
	for w := 0; w <= MaxWindow; w++ {
		p, _ := NewTOTP(w)
		for d := Step(-3); d <= 3; d++ {
			got, ok := p.Verify(secret, CodeAt(secret, cur+d), now, NoStep)
			want := d >= -Step(w) && d <= Step(w)
			if ok != want || ok && got != cur+d {
				t.Errorf("window %d, code of step now%+d: Verify = %d, %v; want ok %v", w, d, got, ok, want)
			}
		}
	}
}

// TestVerifyRefusesReplay: once a step is accepted, its code (and any
// older one) is refused; the next step's code is still accepted.
func TestVerifyRefusesReplay(t *testing.T) {
	secret := NewSecret()
	p, _ := NewTOTP(1)
	c := CodeAt(secret, StepAt(now))
	last, ok := p.Verify(secret, c, now, NoStep)
	if !ok {
		t.Fatal("the current code was refused")
	}
	if _, ok := p.Verify(secret, c, now, last); ok {
		t.Error("the same code was accepted twice")
	}
	if _, ok := p.Verify(secret, CodeAt(secret, last-1), now, last); ok {
		t.Error("an older code was accepted after a newer one")
	}
	if s, ok := p.Verify(secret, CodeAt(secret, last+1), now, last); !ok || s != last+1 {
		t.Errorf("the next step's code: Verify = %d, %v; want %d, true", s, ok, last+1)
	}
}

func TestVerifyRefusesWrongCodes(t *testing.T) {
	secret := NewSecret()
	p, _ := NewTOTP(MaxWindow)
	good := CodeAt(secret, StepAt(now))
	for _, c := range []string{"", good[:5], good + "0", " " + good, "abcdef", CodeAt(NewSecret(), StepAt(now))} {
		if c == good {
			continue // another secret's code collided (one in a million)
		}
		if _, ok := p.Verify(secret, c, now, NoStep); ok {
			t.Errorf("Verify(%q) accepted; the code is %s", c, good)
		}
	}
}

// TestVerifyPair covers activation: two consecutive codes, reaching two
// steps further back than sign-in, never the same code twice, and the step
// returned makes both codes spent.
func TestVerifyPair(t *testing.T) {
	secret := NewSecret()
	p, _ := NewTOTP(1)
	cur := StepAt(now)
	for _, first := range []Step{cur - 3, cur - 2, cur - 1, cur, cur + 1} {
		s, err := p.VerifyPair(secret, CodeAt(secret, first), CodeAt(secret, first+1), now)
		if err != nil || s != first+1 {
			t.Errorf("pair from now%+d: VerifyPair = %d, %v; want %d", first-cur, s, err, first+1)
			continue
		}
		for _, c := range []Step{first, first + 1} {
			if _, ok := p.Verify(secret, CodeAt(secret, c), now, s); ok {
				t.Errorf("an activation code (step now%+d) then signed in", c-cur)
			}
		}
	}
	for _, v := range []struct {
		name         string
		code1, code2 string
		want         error
	}{
		{"same code twice", CodeAt(secret, cur), CodeAt(secret, cur), ErrSameCodes},
		{"too old", CodeAt(secret, cur-4), CodeAt(secret, cur-3), ErrFirstCode},
		{"too new", CodeAt(secret, cur+2), CodeAt(secret, cur+3), ErrFirstCode},
		{"reversed", CodeAt(secret, cur), CodeAt(secret, cur-1), ErrSecondCode},
		{"not consecutive", CodeAt(secret, cur-1), CodeAt(secret, cur+1), ErrSecondCode},
		{"second wrong", CodeAt(secret, cur), "000000", ErrSecondCode},
	} {
		if v.code1 == v.code2 && v.want != ErrSameCodes {
			continue // two steps collided (one in a million)
		}
		if _, err := p.VerifyPair(secret, v.code1, v.code2, now); !errors.Is(err, v.want) {
			t.Errorf("%s: VerifyPair error = %v, want %v", v.name, err, v.want)
		}
	}
}

func TestNewSecretAndEncoding(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) != SecretSize || string(a) == string(b) {
		t.Fatalf("NewSecret gave %d bytes, or twice the same", len(a))
	}
	s := EncodeSecret(a)
	if len(s) != 32 || s != strings.ToUpper(s) || strings.Contains(s, "=") {
		t.Errorf("EncodeSecret = %q, want 32 upper-case base32 characters without padding", s)
	}
	if back, err := secretEncoding.DecodeString(s); err != nil || string(back) != string(a) {
		t.Errorf("the encoded secret does not decode back: %v", err)
	}
}

// TestKeyURLReadByApps reads the URL back the way an authenticator app
// does (pquerna/otp's parser of Google's Key Uri Format), with an issuer
// and an address that hold the label's separator and characters to escape.
func TestKeyURLReadByApps(t *testing.T) {
	secret := NewSecret()
	for _, v := range []struct{ issuer, account, wantIssuer string }{
		{"", "ada@example.com", DefaultIssuer},
		{"Acme: Accounts", "a:b+c d%?&#@example.com", "Acme: Accounts"},
	} {
		raw := KeyURL(v.issuer, v.account, secret)
		k, err := otp.NewKeyFromURL(raw)
		if err != nil {
			t.Fatalf("NewKeyFromURL(%s): %v", raw, err)
		}
		if k.Type() != "totp" || k.Secret() != EncodeSecret(secret) || k.Issuer() != v.wantIssuer ||
			k.Period() != 30 || k.Digits() != otp.DigitsSix || k.Algorithm() != otp.AlgorithmSHA1 {
			t.Errorf("KeyURL = %s, read back as type %s issuer %q period %d digits %v", raw, k.Type(), k.Issuer(), k.Period(), k.Digits())
		}
		u, _ := url.Parse(raw)
		issuer, account, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
		gotI, _ := url.PathUnescape(issuer)
		gotA, _ := url.PathUnescape(account)
		if gotI != v.wantIssuer || gotA != v.account {
			t.Errorf("KeyURL label = %q : %q, want %q : %q", gotI, gotA, v.wantIssuer, v.account)
		}
	}
}
