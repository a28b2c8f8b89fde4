package password

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsText is the `passwords` frequency list of zxcvbn 4.4.2 (MIT
// licence, in common-passwords.LICENSE), lower-cased and de-duplicated, one
// per line. Regenerate it with scripts/gen-common-passwords.sh; see
// docs/decisions.md.
//
//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords is the set built from commonPasswordsText on first use. It
// is the one package-level value besides the embedded text, allowed because
// it is derived, read-only data: built once, never written afterwards, and
// building it lazily keeps programs that never check a password from paying
// for a 30,000-entry map.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(commonPasswordsText, "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		if line = strings.TrimSpace(line); line != "" {
			set[line] = struct{}{}
		}
	}
	return set
})

// isCommon applies docs/api.md#password-rules rule 5 to an NFKC password. Like Django's
// CommonPasswordValidator it also trims surrounding white space, so padding a
// common password with a space does not make it acceptable.
func isCommon(pw string) bool {
	_, ok := commonPasswords()[strings.TrimSpace(strings.ToLower(pw))]
	return ok
}
