package account

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// User is one account.
type User struct {
	ID int64
	// Email is the address as the user gave it; mail always goes here.
	Email string
	// EmailKey is Email after NFKC normalisation and case folding; lookups
	// and the uniqueness constraint use it (CVE-2019-19844).
	EmailKey               string
	PasswordHash           string
	FirstName              string
	LastName               string
	Timezone               string
	EmailVerified          bool
	MarketingEmailAccepted bool
	CreatedAt              time.Time
	UpdatedAt              time.Time
	LastLogin              time.Time // zero when never
	// PasswordChangedAt and EmailChangedAt void every reset token issued
	// before them.
	PasswordChangedAt time.Time
	EmailChangedAt    time.Time
	// ActivationSentAt is when the last activation email was queued.
	ActivationSentAt time.Time
	DeletedAt        time.Time // zero unless deleted
}

// Deleted reports whether the account was deleted.
func (u User) Deleted() bool { return !u.DeletedAt.IsZero() }

// MaxEmailLength is the longest address accepted (SPEC §1).
const MaxEmailLength = 254

var errInvalidEmail = Invalid("email", "invalid", "Enter a valid email address.")

// EmailKey returns the form of an address used to compare addresses: NFKC
// normalised and case folded.
func EmailKey(email string) string {
	return cases.Fold().String(norm.NFKC.String(email))
}

// ValidateEmail checks the format of an address (SPEC §1) and returns it
// trimmed of surrounding space. field names the request field for errors.
func ValidateEmail(field, email string) (string, error) {
	bad := Invalid(field, errInvalidEmail.Fields[0].Code, errInvalidEmail.Fields[0].Message)
	email = strings.TrimSpace(email)
	if email == "" {
		return "", Invalid(field, "blank", "This field may not be blank.")
	}
	if !utf8.ValidString(email) || utf8.RuneCountInString(email) > MaxEmailLength || hasInvisible(email) {
		return "", bad
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "", bad
	}
	local, domain := email[:at], email[at+1:]
	if strings.ContainsAny(email, " \t\r\n<>()[],;:\"\\") || strings.Contains(local, "@") {
		return "", bad
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad
	}
	// Internationalised domains are accepted when they have an ASCII form.
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return "", bad
	}
	if _, err := mail.ParseAddress(local + "@" + ascii); err != nil {
		return "", bad
	}
	return email, nil
}

// invisible holds the characters an address may not contain because they
// show as nothing, or reorder what is shown: controls, format characters
// (zero-width spaces and joiners U+200B..U+200F, bidirectional overrides
// U+202A..U+202E and isolates, U+2060..U+2064, U+FEFF), line and paragraph
// separators, spaces other than ASCII's, and the other default-ignorable
// characters (Hangul fillers, variation selectors). With them
// "ada@example.com" and "a\u200bda@example.com" would be two look-alike
// accounts, and a bidi override can make an address read as another.
var invisible = []*unicode.RangeTable{
	unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Zs,
	unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector,
}

// hasInvisible reports whether s holds a character of invisible.
func hasInvisible(s string) bool {
	for _, r := range s {
		if unicode.IsOneOf(invisible, r) {
			return true
		}
	}
	return false
}
