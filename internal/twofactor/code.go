package twofactor

import "errors"

// ErrMalformed is returned for input that is not a code of the kind asked
// for. It never holds the input: a user may paste a password by mistake.
var ErrMalformed = errors.New("twofactor: not a valid code")

// maxInput bounds what the parsers look at: a recovery code with every
// separator is 29 characters; anything far longer is refused unread.
const maxInput = 64

// Code is what the code field of codeauth held, once parsed.
type Code struct {
	// Value is six ASCII digits (a TOTP or email code), or the 24 upper-case
	// base32 characters of a recovery code without separators.
	Value string
	// Recovery says Value is a recovery code.
	Recovery bool
}

// ParseCode reads codeauth's code field: a six-digit code (ParseOTP) or a
// recovery code (ParseRecoveryCode). The two cannot be confused: six
// characters against twenty-four.
func ParseCode(s string) (Code, error) {
	if v, err := ParseOTP(s); err == nil {
		return Code{Value: v}, nil
	}
	if v, err := ParseRecoveryCode(s); err == nil {
		return Code{Value: v, Recovery: true}, nil
	}
	return Code{}, ErrMalformed
}

// ParseOTP reads a six-digit code: exactly six ASCII digits once ASCII
// spaces and tabs are removed (apps show "123 456"; a copy may carry the
// space or a trailing newline). Nothing else is normalised: full-width or
// other Unicode digits, signs and letters are refused, so what is checked
// is what was typed.
func ParseOTP(s string) (string, error) {
	if len(s) > maxInput {
		return "", ErrMalformed
	}
	out := make([]byte, 0, Digits)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSpace(c):
		case c >= '0' && c <= '9' && len(out) < Digits:
			out = append(out, c)
		default:
			return "", ErrMalformed
		}
	}
	if len(out) != Digits {
		return "", ErrMalformed
	}
	return string(out), nil
}

// isSpace is ASCII white space only: a Unicode space (NBSP, ideographic
// space) is refused rather than silently dropped.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
