package twofactor

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// The TOTP parameters of docs/api.md#two-factor-authentication. They are fixed: authenticator apps
// widely ignore anything else in the otpauth URL (research §2.2).
const (
	SecretSize = 20 // bytes: 160 bits, RFC 4226's recommendation
	Period     = 30 * time.Second
	Digits     = 6
	// MaxWindow is the widest window docs/api.md#two-factor-authentication allows: two steps either side.
	MaxWindow = 2
	// DefaultWindow is one step either side (RFC 6238 §6's recommendation).
	DefaultWindow = 1
	// DefaultIssuer names accountd in authenticator apps unless configured.
	DefaultIssuer = "accountd"
)

// secretEncoding is the form authenticator apps read and docs/api.md#two-factor-authentication's
// secret_key shows: upper-case base32 without padding.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Step is a TOTP time step: whole periods since the Unix epoch (RFC 6238 T).
// The store keeps the last accepted one per method; a code is accepted only
// for a newer step.
type Step int64

// NoStep is the last accepted step of a method that has accepted none: every
// real step is newer.
const NoStep Step = -1

// StepAt returns the step that contains t.
func StepAt(t time.Time) Step {
	sec := t.Unix()
	p := int64(Period / time.Second)
	// Floor division, so a time before the epoch does not land on step 0.
	s := sec / p
	if sec%p < 0 {
		s--
	}
	return Step(s)
}

// NewSecret returns a fresh TOTP secret of SecretSize random bytes.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// EncodeSecret returns the secret as docs/api.md#two-factor-authentication's secret_key: unpadded
// upper-case base32 (32 characters for 20 bytes).
func EncodeSecret(secret []byte) string { return secretEncoding.EncodeToString(secret) }

// KeyURL returns the otpauth:// URL an authenticator app reads from a QR
// code (Google's Key Uri Format): label "issuer:account", with the issuer
// repeated as a parameter as the format recommends. Both parts are
// percent-encoded, ':' included, so an address or issuer holding one cannot
// move the split between them.
func KeyURL(issuer, account string, secret []byte) string {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	q := url.Values{}
	q.Set("secret", EncodeSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + labelEscape(issuer) + ":" + labelEscape(account) + "?" + q.Encode()
}

// labelEscape percent-encodes one part of the label. url.PathEscape leaves
// ':' alone, and ':' separates the issuer from the account.
func labelEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// code returns the digits-long HOTP code of secret at step (RFC 4226 with
// counter = step, which is RFC 6238). pquerna/otp takes the secret in
// base32; it never fails on a secret we encoded.
func code(secret []byte, step Step, digits otp.Digits) string {
	c, err := hotp.GenerateCodeCustom(EncodeSecret(secret), uint64(step), hotp.ValidateOpts{
		Digits: digits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		panic("twofactor: base32 of our own encoding refused: " + err.Error())
	}
	return c
}

// CodeAt returns the six-digit code of secret at step: what the user's app
// shows during that step. Tests and the `accountd totp` helper use it.
func CodeAt(secret []byte, step Step) string { return code(secret, step, otp.DigitsSix) }

// TOTP verifies codes with a window of steps either side of now.
type TOTP struct{ window int }

// NewTOTP returns a verifier accepting codes window steps either side of
// the current one; window must be 0 to MaxWindow (ACCOUNTD_TOTP_SKEW).
func NewTOTP(window int) (TOTP, error) {
	if window < 0 || window > MaxWindow {
		return TOTP{}, fmt.Errorf("the TOTP window is %d steps; it must be 0 to %d", window, MaxWindow)
	}
	return TOTP{window: window}, nil
}

// Verify looks for a step within the window around now, newer than after
// (the last step the method accepted), whose code is code. It returns the
// newest such step, for the caller's compare-and-set of the last accepted
// step; ok is false when there is none. Every candidate is computed and
// compared in constant time, so the time taken does not depend on which
// step, if any, matched. code should come from ParseOTP.
func (p TOTP) Verify(secret []byte, code string, now time.Time, after Step) (Step, bool) {
	t := StepAt(now)
	return match(secret, code, t-Step(p.window), t+Step(p.window), after)
}

// match returns the newest step in [from, to], newer than after, whose
// code is code.
func match(secret []byte, c string, from, to, after Step) (Step, bool) {
	found, ok := NoStep, false
	for s := from; s <= to; s++ {
		if s < 0 {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(CodeAt(secret, s)), []byte(c)) == 1
		if eq && s > after {
			found, ok = s, true
		}
	}
	return found, ok
}

// The ways an activation pair fails (docs/api.md#two-factor-authentication activate: 400 on the field).
var (
	ErrSameCodes  = errors.New("twofactor: the two codes are the same")
	ErrFirstCode  = errors.New("twofactor: the first code is not a current code")
	ErrSecondCode = errors.New("twofactor: the second code is not the code after the first")
)

// VerifyPair checks the two codes that activate a TOTP method: different,
// and the codes of consecutive steps s and s+1, with s from window+2 steps
// before now to window steps after. The wider reach back lets a user type
// the code on screen and wait for the next one (research §5.5). It returns
// s+1, which the caller stores as the last accepted step, so neither
// activation code can then be used to sign in.
func (p TOTP) VerifyPair(secret []byte, code1, code2 string, now time.Time) (Step, error) {
	if subtle.ConstantTimeCompare([]byte(code1), []byte(code2)) == 1 {
		return NoStep, ErrSameCodes
	}
	t := StepAt(now)
	w := Step(p.window)
	first, second := false, NoStep
	for s := t - w - 2; s <= t+w; s++ {
		if s < 0 {
			continue
		}
		a := subtle.ConstantTimeCompare([]byte(CodeAt(secret, s)), []byte(code1))
		b := subtle.ConstantTimeCompare([]byte(CodeAt(secret, s+1)), []byte(code2))
		first = first || a == 1
		if a&b == 1 {
			second = s + 1
		}
	}
	switch {
	case second != NoStep:
		return second, nil
	case first:
		return NoStep, ErrSecondCode
	default:
		return NoStep, ErrFirstCode
	}
}
