// Package password holds the password rules of docs/api.md#password-rules and password hashing:
// argon2id for new hashes, and verification of the bcrypt and Django
// pbkdf2_sha256 hashes of imported users so they can be upgraded on login.
//
// It is pure: no clock, no environment, no logging, and it imports nothing
// from this project. Its only package-level state is the embedded
// common-password list and the read-only set derived from it.
package password

import "golang.org/x/text/unicode/norm"

// Normalize returns the NFKC form of a password (docs/api.md#password-rules rule 2); hashing and
// checks use it, so that the same password typed on different keyboards or
// input methods (full-width forms, ligatures, composed or decomposed accents)
// gives the same hash.
func Normalize(pw string) string {
	return norm.NFKC.String(pw)
}
