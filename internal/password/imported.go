package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Imported hashes: bcrypt ($2a$, $2b$, $2y$) and Django's pbkdf2_sha256. Both
// are only verified, never made; a match means the caller should rehash.

const (
	djangoPrefix = "pbkdf2_sha256$"
	bcryptLen    = 60 // "$2b$" + 2-digit cost + "$" + 22 salt + 31 hash characters
	// Bounds on the work a stored hash may ask for, so a hostile or corrupt
	// one cannot wedge the process; both are well above what real systems use
	// (Django 5 uses 1,000,000 iterations; bcrypt commonly 10 to 12).
	maxDjangoIterations = 10_000_000
	maxBcryptCost       = 16 // 2^16 rounds: a few seconds
)

// verifyImported tries the password as typed, then its NFKC form if that
// differs: the systems these hashes come from did not normalise (Django does
// not), but a user may type the same password through a different input
// method than when they set it. The second attempt only happens for
// non-normalised input, so the timing it adds says nothing about the account.
func verifyImported(pw, encoded string, match func(pw, encoded string) (bool, error)) (bool, error) {
	ok, err := match(pw, encoded)
	if ok || err != nil {
		return ok, err
	}
	if n := Normalize(pw); n != pw {
		return match(n, encoded)
	}
	return false, nil
}

// isBcrypt recognises the bcrypt prefixes docs/api.md#password-rules accepts.
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

// bcryptAlphabet is the base64 alphabet of bcrypt's salt and hash.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// checkBcrypt parses a bcrypt hash without computing it: its length, its
// cost within maxBcryptCost, and the 53 characters of salt and hash in
// bcrypt's alphabet. x/crypto's parser checks neither the length nor the
// hash's characters, and the salt's only when it computes: without this a
// truncated or damaged hash would fail every login as a wrong password.
func checkBcrypt(encoded string) error {
	if len(encoded) != bcryptLen {
		return errors.New("password: malformed bcrypt hash")
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return fmt.Errorf("password: malformed bcrypt hash: %w", err)
	}
	if cost > maxBcryptCost {
		return fmt.Errorf("password: bcrypt cost %d above %d", cost, maxBcryptCost)
	}
	for _, c := range encoded[len(encoded)-53:] {
		if !strings.ContainsRune(bcryptAlphabet, c) {
			return errors.New("password: malformed bcrypt hash: a character outside its alphabet")
		}
	}
	return nil
}

// matchBcrypt compares pw with a bcrypt hash. Passwords longer than 72 bytes
// are compared as bcrypt implementations made them: only the first 72 count.
func matchBcrypt(pw, encoded string) (bool, error) {
	if err := checkBcrypt(encoded); err != nil {
		return false, err
	}
	err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("password: malformed bcrypt hash: %w", err)
}

// parsedDjango is a parsed pbkdf2_sha256 hash.
type parsedDjango struct {
	iterations int
	salt       string
	key        []byte
}

// parseDjango parses Django's pbkdf2_sha256$<iterations>$<salt>$<b64 key>,
// whose key is PBKDF2-HMAC-SHA256 of the UTF-8 password and salt, 32 bytes,
// in padded standard base64.
func parseDjango(encoded string) (parsedDjango, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" || parts[2] == "" {
		return parsedDjango{}, errors.New("password: malformed pbkdf2_sha256 hash")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxDjangoIterations {
		return parsedDjango{}, fmt.Errorf("password: pbkdf2_sha256 iterations not in 1..%d", maxDjangoIterations)
	}
	key, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil || len(key) != sha256.Size {
		return parsedDjango{}, errors.New("password: malformed pbkdf2_sha256 key")
	}
	return parsedDjango{iterations: iter, salt: parts[2], key: key}, nil
}

// matchDjango compares pw with a Django pbkdf2_sha256 hash.
func matchDjango(pw, encoded string) (bool, error) {
	d, err := parseDjango(encoded)
	if err != nil {
		return false, err
	}
	got, err := pbkdf2.Key(sha256.New, pw, []byte(d.salt), d.iterations, sha256.Size)
	if err != nil {
		return false, fmt.Errorf("password: pbkdf2_sha256: %w", err)
	}
	return subtle.ConstantTimeCompare(got, d.key) == 1, nil
}
