package password

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2idPrefix = "$argon2id$"

// argon2idHash is a parsed PHC string.
type argon2idHash struct {
	params    Params // KeyLen and SaltLen are those of key and salt
	salt, key []byte
}

// encodeArgon2id formats the PHC string the reference implementation writes.
func encodeArgon2id(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2idPrefix, argon2.Version,
		p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyArgon2id checks pw against a PHC string. Only the NFKC form is tried:
// every argon2id hash we hold was made by Hash, which normalises.
func (h *Hasher) verifyArgon2id(pw, encoded string) (ok, needsRehash bool, err error) {
	a, err := parseArgon2id(encoded)
	if err != nil {
		return false, false, err
	}
	p := a.params
	key := argon2.IDKey([]byte(Normalize(pw)), a.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	ok = subtle.ConstantTimeCompare(key, a.key) == 1
	return ok, ok && p != h.Params, nil
}

// parseArgon2id parses $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>
// strictly, and refuses parameters outside the bounds of Params.validate.
func parseArgon2id(encoded string) (argon2idHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argon2idHash{}, errors.New("password: malformed argon2id hash")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return argon2idHash{}, errors.New("password: unsupported argon2id version")
	}
	p, err := parseArgon2idParams(parts[3])
	if err != nil {
		return argon2idHash{}, err
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return argon2idHash{}, errors.New("password: malformed argon2id salt or key")
	}
	// Clamp before converting, so no length can wrap around into range.
	p.SaltLen, p.KeyLen = uint32(min(len(salt), maxArgonBytes+1)), uint32(min(len(key), maxArgonBytes+1))
	if err := p.validate(); err != nil {
		return argon2idHash{}, err
	}
	return argon2idHash{params: p, salt: salt, key: key}, nil
}

// parseArgon2idParams parses "m=19456,t=2,p=1", in that order, as the
// reference implementation writes it.
func parseArgon2idParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, errors.New("password: malformed argon2id parameters")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, found := strings.CutPrefix(fields[i], name)
		v, err := strconv.ParseUint(digits, 10, 32)
		if !found || err != nil {
			return Params{}, errors.New("password: malformed argon2id parameters")
		}
		vals[i] = v
	}
	if vals[2] > maxArgonThreads {
		return Params{}, fmt.Errorf("password: argon2id threads %d outside 1..%d", vals[2], maxArgonThreads)
	}
	return Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}, nil
}
