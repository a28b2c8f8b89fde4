// Package secretbox seals and opens small secrets with AES-256-GCM under
// the key of ACCOUNTD_SECRET_KEY, so what accountd stores in its database
// (the links of queued emails; later TOTP secrets) is useless without the
// key (issue 12 A8). It imports only the standard library.
//
// A sealed value is: a format version byte (1), a key id byte, a 12-byte
// random nonce, then the ciphertext and its 16-byte tag. The key id lets a
// later version keep older keys for opening while it seals under a new one
// (rotation); today a Box holds the key it seals with and any older keys
// it was given.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// version is the format of a sealed value; a reader refuses any other.
const version = 1

// overhead is what sealing adds before the ciphertext: version, key id, nonce.
const overhead = 2 + 12

// ErrOpen is returned for a sealed value that cannot be opened: sealed
// under a key the Box does not hold, altered, truncated, or of an unknown
// format. It never says which, and never holds the value.
var ErrOpen = errors.New("secretbox: the value cannot be opened (sealed under another key, or altered)")

// Box seals under one key and opens under that key and any older ones. It
// is safe for concurrent use.
type Box struct {
	current byte
	aeads   map[byte]cipher.AEAD
}

// New returns a Box that seals under key and opens values sealed under key
// or any of older. Each key must be KeySize bytes.
func New(key []byte, older ...[]byte) (*Box, error) {
	b := &Box{aeads: map[byte]cipher.AEAD{}}
	for i, k := range append([][]byte{key}, older...) {
		if len(k) != KeySize {
			return nil, fmt.Errorf("secretbox: a key must be %d bytes, got %d", KeySize, len(k))
		}
		id := keyID(k)
		if _, dup := b.aeads[id]; dup {
			// Two keys with one id could not be told apart when opening.
			return nil, errors.New("secretbox: two keys share a key id; generate another")
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		b.aeads[id] = aead
		if i == 0 {
			b.current = id
		}
	}
	return b, nil
}

// keyID names a key without revealing it: the first byte of a hash of it.
func keyID(key []byte) byte {
	sum := sha256.Sum256(append([]byte("accountd secretbox key id\x00"), key...))
	return sum[0]
}

// Seal encrypts plain under the current key. ad (associated data) is not
// stored but must be given again to Open: it binds the value to where it
// is kept (a mail and its key), so a value copied elsewhere does not open.
func (b *Box) Seal(plain, ad []byte) []byte {
	aead := b.aeads[b.current]
	out := make([]byte, overhead, overhead+len(plain)+aead.Overhead())
	out[0], out[1] = version, b.current
	rand.Read(out[2:overhead]) // never fails (crypto/rand)
	return aead.Seal(out, out[2:overhead], plain, ad)
}

// Open decrypts a value Seal returned with the same ad; ErrOpen otherwise.
func (b *Box) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < overhead || sealed[0] != version {
		return nil, ErrOpen
	}
	aead, ok := b.aeads[sealed[1]]
	if !ok {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, sealed[2:overhead], sealed[overhead:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// ParseKey decodes a key from base64 (standard or URL alphabet, padded or
// not, surrounding space ignored) and checks its length. Its errors never
// contain the value: it is a secret.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes after base64 decoding, want %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("the key is not valid base64")
}

// GenerateKey returns a new random key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails (crypto/rand)
	return k
}

// NewRandom returns a Box under a fresh random key, which lives only as long
// as the process: for -dev without a configured key, and for tests.
func NewRandom() *Box {
	b, err := New(GenerateKey())
	if err != nil {
		panic(err) // a key of KeySize bytes is always accepted
	}
	return b
}
