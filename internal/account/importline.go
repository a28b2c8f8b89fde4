package account

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accountd/accountd/internal/password"
)

// The line format of a user import (docs/operations.md#importing-users):
// JSON lines, one object per user.

// ImportLine is one line of a user import file, decoded but not yet
// checked against the rules (ImportLine.User does that).
type ImportLine struct {
	Email        string // required
	PasswordHash string // required: argon2id, bcrypt or pbkdf2_sha256
	FirstName    string
	LastName     string
	// CreatedAt is an RFC 3339 time; "" when the line has none (the
	// account is created at the time of the import).
	CreatedAt     string
	EmailVerified bool
}

// MaxImportLine is the longest line an import reads, its end of line
// aside: 64 KiB, as the largest request body of the API.
const MaxImportLine = 64 << 10

// ImportLineError says why a line is not imported. Its text never quotes
// the password hash.
type ImportLineError struct {
	Field  string // the field at fault; "" for the line as a whole
	Reason string
}

func (e *ImportLineError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func badLine(field, reason string) *ImportLineError { return &ImportLineError{field, reason} }

// The keys of a line, exactly as spelled here.
const (
	importEmail        = "email"
	importPasswordHash = "password_hash"
	importFirstName    = "first_name"
	importLastName     = "last_name"
	importCreatedAt    = "created_at"
	importVerified     = "email_verified"
)

// DecodeImportLine decodes one line: a JSON object whose keys are those of
// the format, each at most once and spelled exactly (encoding/json alone
// would take "EMAIL" for "email" and let a second "email" win), with
// values of their JSON types, null standing for an absent optional field,
// and nothing after the object. An unknown key is refused rather than
// ignored: "verified" for "email_verified" would otherwise import every
// account unverified without a word.
func DecodeImportLine(line []byte) (ImportLine, error) {
	var l ImportLine
	if !utf8.Valid(line) {
		return l, badLine("", "not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return l, badLine("", "not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return l, badLine("", "not valid JSON")
		}
		key, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return l, badLine("", "not valid JSON")
		}
		if seen[key] {
			return l, badLine(key, "given more than once")
		}
		seen[key] = true
		if err := l.set(key, v); err != nil {
			return l, err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return l, badLine("", "not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return l, badLine("", "something follows the object")
	}
	for _, k := range []string{importEmail, importPasswordHash} {
		if !seen[k] {
			return l, badLine(k, "required")
		}
	}
	return l, nil
}

// set stores the value v of key.
func (l *ImportLine) set(key string, v any) error {
	switch key {
	case importEmail:
		return importString(&l.Email, key, v, true)
	case importPasswordHash:
		return importString(&l.PasswordHash, key, v, true)
	case importFirstName:
		return importString(&l.FirstName, key, v, false)
	case importLastName:
		return importString(&l.LastName, key, v, false)
	case importCreatedAt:
		return importString(&l.CreatedAt, key, v, false)
	case importVerified:
		switch b := v.(type) {
		case nil:
		case bool:
			l.EmailVerified = b
		default:
			return badLine(key, "want true or false")
		}
		return nil
	}
	if utf8.RuneCountInString(key) > 40 {
		key = string([]rune(key)[:40]) + "…"
	}
	return badLine("", fmt.Sprintf("unknown field %q (want email, password_hash, first_name, last_name, created_at, email_verified)", key))
}

// importString stores a string value; null is absent, refused when the
// field is required.
func importString(dst *string, key string, v any, required bool) error {
	switch s := v.(type) {
	case nil:
		if required {
			return badLine(key, "may not be null")
		}
	case string:
		*dst = s
	default:
		return badLine(key, "want a string")
	}
	return nil
}

// ImportedUser is the account a valid line makes.
type ImportedUser struct {
	User
	// HashFormat names the format of the password hash
	// (password.FormatBcrypt, …), for the audit event.
	HashFormat string
}

// User checks the line against the rules every account keeps and returns
// the account it makes at now: the address as registration checks and
// keys it, names within the profile's limits, a time in RFC 3339 not after
// now, a password hash the verifier reads. The hash is kept as it is; the
// first sign-in replaces it with argon2id.
func (l ImportLine) User(now time.Time) (ImportedUser, error) {
	email, err := ValidateEmail(importEmail, l.Email)
	if err != nil {
		var ae *Error
		if errors.As(err, &ae) && len(ae.Fields) > 0 {
			return ImportedUser{}, badLine(importEmail, ae.Fields[0].Message)
		}
		return ImportedUser{}, badLine(importEmail, "Enter a valid email address.")
	}
	format, err := password.HashFormat(l.PasswordHash)
	if err != nil {
		return ImportedUser{}, badLine(importPasswordHash, strings.TrimPrefix(err.Error(), "password: "))
	}
	for _, n := range []struct{ key, v string }{{importFirstName, l.FirstName}, {importLastName, l.LastName}} {
		switch {
		case utf8.RuneCountInString(n.v) > maxNameLength:
			return ImportedUser{}, badLine(n.key, fmt.Sprintf("longer than %d characters", maxNameLength))
		case strings.ContainsRune(n.v, 0):
			return ImportedUser{}, badLine(n.key, "holds a NUL character")
		}
	}
	now = now.UTC().Truncate(time.Microsecond)
	created := now
	if l.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339, l.CreatedAt)
		switch {
		case err != nil:
			return ImportedUser{}, badLine(importCreatedAt, "want an RFC 3339 time such as 2019-05-01T12:00:00Z")
		case t.After(now):
			return ImportedUser{}, badLine(importCreatedAt, "in the future")
		case t.Before(earliestCreatedAt):
			// The stores keep the zero time as NULL, which created_at may
			// not be; no account is older than 1970.
			return ImportedUser{}, badLine(importCreatedAt, "before 1970")
		}
		created = t.UTC().Truncate(time.Microsecond)
	}
	return ImportedUser{User: User{Email: email, EmailKey: EmailKey(email), PasswordHash: l.PasswordHash,
		FirstName: l.FirstName, LastName: l.LastName, Timezone: "UTC", EmailVerified: l.EmailVerified,
		CreatedAt: created, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}, HashFormat: format}, nil
}

// earliestCreatedAt is the earliest created_at an import accepts.
var earliestCreatedAt = time.Unix(0, 0).UTC()

// errLineTooLong is the fault of a line longer than MaxImportLine.
var errLineTooLong = badLine("", fmt.Sprintf("longer than %d bytes", MaxImportLine))

// importLines reads a file line by line without holding more than one
// line; a line too long is skipped and reported, not fatal.
type importLines struct {
	r *bufio.Reader
	n int // the number of the line last read, from 1
}

func newImportLines(r io.Reader) *importLines {
	return &importLines{r: bufio.NewReaderSize(r, MaxImportLine+2)} // +2: "\r\n"
}

// next returns the next line without its end of line (valid until the
// next call), errLineTooLong for a line too long, or io.EOF at the end.
func (li *importLines) next() ([]byte, error) {
	b, err := li.r.ReadSlice('\n')
	if err == io.EOF && len(b) == 0 {
		return nil, io.EOF
	}
	li.n++
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = li.r.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, errLineTooLong
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if li.n == 1 {
		b = bytes.TrimPrefix(b, []byte("\uFEFF")) // a byte-order mark some editors write
	}
	return b, nil
}
