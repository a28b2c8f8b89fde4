package twofactor

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// emailCodeInfo names the HKDF sub-key that keys email-code HMACs. It
// differs from every other use of ACCOUNTD_SECRET_KEY (secretbox uses the
// key as is), so no value computed here can be replayed elsewhere.
const emailCodeInfo = "accountd twofactor email-code hmac v1"

// EmailCodes makes and checks the six-digit codes of the email_code method
// (docs/api.md#two-factor-authentication). A code is stored as an HMAC-SHA256 under a key derived from
// ACCOUNTD_SECRET_KEY: a bare hash of 20 bits would be reversed from a dump
// in a million tries. The HMAC covers the login token's id, so a code is
// good only for the token it was sent for (ASVS 6.6.2).
type EmailCodes struct{ key []byte }

// minKeySize is the least key material accepted: ACCOUNTD_SECRET_KEY is 32
// bytes.
const minKeySize = 32

// NewEmailCodes derives the email-code key from secretKey, the bytes of
// ACCOUNTD_SECRET_KEY. Its error never holds the key.
func NewEmailCodes(secretKey []byte) (*EmailCodes, error) {
	if len(secretKey) < minKeySize {
		return nil, fmt.Errorf("twofactor: the secret key is %d bytes; at least %d are needed", len(secretKey), minKeySize)
	}
	k, err := hkdf.Key(sha256.New, secretKey, nil, emailCodeInfo, sha256.Size)
	if err != nil {
		return nil, err
	}
	return &EmailCodes{key: k}, nil
}

// Hash returns what the store keeps for code sent for login token tokenID.
func (e *EmailCodes) Hash(tokenID int64, code string) []byte {
	m := hmac.New(sha256.New, e.key)
	// The id is fixed-width, so (id, code) pairs cannot run into each other.
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(tokenID))
	m.Write(id[:])
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Match reports in constant time whether code, typed with login token
// tokenID, is the one whose Hash is stored.
func (e *EmailCodes) Match(tokenID int64, code string, stored []byte) bool {
	return hmac.Equal(e.Hash(tokenID, code), stored)
}

// NewEmailCode returns six digits from the CSPRNG, each of the million
// codes equally likely.
func NewEmailCode() string { return newEmailCode(rand.Reader) }

// emailCodeLimit is the largest multiple of 10^6 that fits in 32 bits; a
// draw at or above it is thrown away, since keeping it (mod 10^6) would make
// the low codes slightly likelier.
const emailCodeLimit = (1 << 32) / 1_000_000 * 1_000_000

// newEmailCode draws from r until a value falls below emailCodeLimit.
func newEmailCode(r io.Reader) string {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			panic("twofactor: the random source failed: " + err.Error())
		}
		if v := binary.BigEndian.Uint32(b[:]); v < emailCodeLimit {
			return fmt.Sprintf("%06d", v%1_000_000)
		}
	}
}
