package password

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // degree of parallelism (lanes)
	KeyLen  uint32 // bytes of derived key
	SaltLen uint32 // bytes of random salt
}

// DefaultParams returns the docs/api.md#password-rules parameters (OWASP's argon2id minimum):
// m=19456 KiB, t=2, p=1, a 32-byte key and a 16-byte salt.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// Bounds on argon2id parameters, for our own Params and for stored hashes:
// the upper ones stop a hostile or corrupt stored hash from wedging the
// process (1 GiB × 100 passes is already minutes of work); the lower ones are
// the reference implementation's minimums.
const (
	maxArgonMemory  = 1 << 20 // KiB, 1 GiB
	maxArgonTime    = 100
	maxArgonThreads = 64
	minArgonKeyLen  = 4
	minArgonSaltLen = 8
	maxArgonBytes   = 1024 // for both key and salt
)

// Hasher hashes and verifies passwords. It is safe for concurrent use; do not
// change Params after first use, because the dummy hash used by VerifyDummy is
// made once with the Params of that moment.
type Hasher struct {
	Params Params

	dummyOnce sync.Once
	dummy     string // a real hash of a random secret, for VerifyDummy
}

// NewHasher returns a Hasher using p. It makes the dummy hash for VerifyDummy
// now, so that the first login for an unknown email after start-up is not
// slower than the others.
func NewHasher(p Params) *Hasher {
	h := &Hasher{Params: p}
	h.dummyHash()
	return h
}

// Hash returns the PHC string $argon2id$v=19$m=19456,t=2,p=1$<b64 salt>$<b64 hash>
// (RawStdEncoding, like the reference implementation) of Normalize(pw).
func (h *Hasher) Hash(pw string) (string, error) {
	if err := h.Params.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, h.Params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	p := h.Params
	key := argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodeArgon2id(p, salt, key), nil
}

// Verify reports whether pw matches encoded, and whether encoded should be
// replaced by a fresh Hash (different argon2 params, or a bcrypt/Django pbkdf2
// hash). Comparisons are constant time (crypto/subtle). An unparseable hash
// returns an error, never a panic. needsRehash is only ever true with ok.
func (h *Hasher) Verify(pw, encoded string) (ok, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		return h.verifyArgon2id(pw, encoded)
	case isBcrypt(encoded):
		ok, err = verifyImported(pw, encoded, matchBcrypt)
		return ok, ok, err
	case strings.HasPrefix(encoded, djangoPrefix):
		ok, err = verifyImported(pw, encoded, matchDjango)
		return ok, ok, err
	}
	return false, false, errUnrecognised
}

// errUnrecognised never echoes the hash: it is a secret even when malformed.
var errUnrecognised = errors.New("password: unrecognised hash format (want argon2id, bcrypt or pbkdf2_sha256)")

// Hash formats, as HashFormat names them.
const (
	FormatArgon2id     = "argon2id"
	FormatBcrypt       = "bcrypt"
	FormatDjangoPBKDF2 = "pbkdf2_sha256"
)

// HashFormat names the format of a hash Verify can read (FormatArgon2id,
// FormatBcrypt or FormatDjangoPBKDF2) after parsing it as Verify does, its
// parameters within the same bounds, without computing it; otherwise it
// returns Verify's error. An import checks each hash with it, so that a
// hash no password could match is refused before it is stored. The error
// never quotes the hash.
//
// It also refuses a hash with a character outside printable ASCII. Every
// format is printable ASCII except a Django salt, which Django makes of
// letters and digits; anything else there (a NUL above all, which
// PostgreSQL's text refuses, failing the whole batch) is a damaged export.
// Only an import refuses it: Verify still reads such a hash stored before.
func HashFormat(encoded string) (string, error) {
	if !printableASCII(encoded) {
		return "", errors.New("password: hash holds a character outside printable ASCII")
	}
	var format string
	var err error
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		format = FormatArgon2id
		_, err = parseArgon2id(encoded)
	case isBcrypt(encoded):
		format, err = FormatBcrypt, checkBcrypt(encoded)
	case strings.HasPrefix(encoded, djangoPrefix):
		format = FormatDjangoPBKDF2
		_, err = parseDjango(encoded)
	default:
		err = errUnrecognised
	}
	if err != nil {
		return "", err
	}
	return format, nil
}

// printableASCII reports whether s holds only the characters from '!' to '~'.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// VerifyDummy does the same work as Verify of a wrong password against a real
// hash with the current params, so a login for an unknown email takes the
// same time (docs/api.md#register-and-login). It always returns false.
func (h *Hasher) VerifyDummy(pw string) bool {
	_, _, _ = h.Verify(pw, h.dummyHash())
	return false
}

// dummyHash returns the Hasher's dummy hash, making it on first use so that a
// Hasher built without NewHasher works too. If Params are invalid it is empty:
// Hash fails as well then, so there is no real login time to match.
func (h *Hasher) dummyHash() string {
	h.dummyOnce.Do(func() {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret) // documented never to fail since Go 1.24
		h.dummy, _ = h.Hash(fmt.Sprintf("%x", secret))
	})
	return h.dummy
}

// validate checks p against the bounds above, so Hash never produces a
// string that Verify would refuse, and argon2.IDKey never panics.
func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxArgonThreads:
		return fmt.Errorf("password: argon2id threads %d outside 1..%d", p.Threads, maxArgonThreads)
	case p.Time < 1 || p.Time > maxArgonTime:
		return fmt.Errorf("password: argon2id time %d outside 1..%d", p.Time, maxArgonTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMemory:
		return fmt.Errorf("password: argon2id memory %d KiB outside %d..%d", p.Memory, 8*uint32(p.Threads), maxArgonMemory)
	case p.KeyLen < minArgonKeyLen || p.KeyLen > maxArgonBytes:
		return fmt.Errorf("password: argon2id key length %d outside %d..%d", p.KeyLen, minArgonKeyLen, maxArgonBytes)
	case p.SaltLen < minArgonSaltLen || p.SaltLen > maxArgonBytes:
		return fmt.Errorf("password: argon2id salt length %d outside %d..%d", p.SaltLen, minArgonSaltLen, maxArgonBytes)
	}
	return nil
}
