package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Violation is one failed rule, reported on the password field.
type Violation struct {
	Code    string // stable machine-readable code, e.g. "password_too_short"
	Message string // human-readable sentence in Django's wording
}

// Policy holds the configurable rule settings. A zero or negative field means
// its default, so the zero Policy behaves like DefaultPolicy.
type Policy struct {
	MinLength int // default 8
	MaxLength int // default 256 (docs/api.md#password-rules: never truncate)
}

// The rule codes of docs/api.md#password-rules, in rule order.
const (
	codeTooShort        = "password_too_short"
	codeTooLong         = "password_too_long"
	codeTooSimilar      = "password_too_similar"
	codeEntirelyNumeric = "password_entirely_numeric"
	codeTooCommon       = "password_too_common"
)

// DefaultPolicy returns the docs/api.md#password-rules defaults: 8 to 256 characters.
func DefaultPolicy() Policy {
	return Policy{MinLength: 8, MaxLength: 256}
}

// Check applies rules 1-5 of docs/api.md#password-rules to the (already or not yet normalised —
// Check normalises itself) password, with the account email for the
// similarity rule, and returns every failing rule, in rule order; nil when the
// password is acceptable.
func (p Policy) Check(pw, email string) []Violation {
	p = p.withDefaults()
	pw = Normalize(pw)
	length := utf8.RuneCountInString(pw)

	var vs []Violation
	if length < p.MinLength {
		vs = append(vs, Violation{codeTooShort, fmt.Sprintf(
			"This password is too short. It must contain at least %d %s.",
			p.MinLength, characters(p.MinLength))})
	}
	if length > p.MaxLength {
		vs = append(vs, Violation{codeTooLong, fmt.Sprintf(
			"This password is too long. It must contain at most %d %s.",
			p.MaxLength, characters(p.MaxLength))})
	}
	if tooSimilar(pw, email) {
		vs = append(vs, Violation{codeTooSimilar, "The password is too similar to the email."})
	}
	if entirelyNumeric(pw) {
		vs = append(vs, Violation{codeEntirelyNumeric, "This password is entirely numeric."})
	}
	if isCommon(pw) {
		vs = append(vs, Violation{codeTooCommon, "This password is too common."})
	}
	return vs
}

// withDefaults fills unset fields, so a Policy built field by field from
// configuration cannot silently reject every password with a maximum of 0.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.MinLength <= 0 {
		p.MinLength = d.MinLength
	}
	if p.MaxLength <= 0 {
		p.MaxLength = d.MaxLength
	}
	return p
}

// characters agrees the noun with n, as Django's ngettext does.
func characters(n int) string {
	if n == 1 {
		return "character"
	}
	return "characters"
}

// entirelyNumeric mirrors Python's str.isdigit on the NFKC form: any Unicode
// decimal digits count (NFKC has already folded full-width and superscript
// digits to ASCII), and the empty string is not numeric.
func entirelyNumeric(pw string) bool {
	if pw == "" {
		return false
	}
	return strings.IndexFunc(pw, func(r rune) bool { return !unicode.IsDigit(r) }) < 0
}
