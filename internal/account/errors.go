// Package account holds the domain of accountd: users, tokens, reset tokens,
// audit events, queued mail, the errors the API reports, the Store interface
// that the storage backends implement, and Service, which holds every business
// rule. It imports no other package of this project except password.
package account

import (
	"errors"
	"fmt"
)

// Kind is the class of a domain error; the web layer maps it to a status.
type Kind int

// The closed set of error kinds (docs/architecture.md#errors).
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthenticated
	KindForbidden
	KindNotFound
	KindConflict
	KindRateLimited
	KindUnavailable
)

// FieldError is one validation failure tied to a request field, or to
// "non_field_errors".
type FieldError struct {
	Field   string
	Code    string
	Message string
}

// Error is the error every Service method returns for a failure the client
// should see. Err is the hidden cause, for logs only.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Fields lists the validation failures of a KindInvalid error, in order.
	Fields []FieldError
	// RetryAfter is set on KindRateLimited errors, in whole seconds.
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Code, e.Message)
	if len(e.Fields) > 0 {
		msg = fmt.Sprintf("invalid: %v", e.Fields)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid returns a KindInvalid error with one field failure.
func Invalid(field, code, message string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Fields: []FieldError{{field, code, message}}}
}

// InvalidFields returns a KindInvalid error listing every failure.
func InvalidFields(fields []FieldError) *Error {
	code := ""
	if len(fields) > 0 {
		code = fields[0].Code
	}
	return &Error{Kind: KindInvalid, Code: code, Fields: fields}
}

// Unavailable wraps a storage failure that the client sees as 503.
func Unavailable(err error) *Error {
	return &Error{Kind: KindUnavailable, Code: "unavailable",
		Message: "The service is temporarily unavailable, please try again later.", Err: err}
}

// Store errors. Backends translate driver errors into these by error code.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrLeaseLost: a claimed mail was written back after its claim ended
	// (another worker may hold it now); nothing was written.
	ErrLeaseLost = errors.New("the claim on this mail has ended")
)

// Errors the API reports in fixed words (docs/api.md#errors).
var (
	ErrNotAuthenticated = &Error{Kind: KindUnauthenticated, Code: "not_authenticated",
		Message: "Authentication credentials were not provided."}
	ErrInvalidToken = &Error{Kind: KindUnauthenticated, Code: "authentication_failed",
		Message: "Invalid token."}
	ErrAccountDeleted = &Error{Kind: KindForbidden, Code: "account_deleted",
		Message: "Your account is deleted."}
	ErrBadCredentials = Invalid("non_field_errors", "authorization",
		"Unable to log in with provided credentials.")
	ErrWrongPassword = Invalid("password", "authorization", "Wrong password.")
	ErrEmailTaken    = Invalid("email", "unique", "A user with that email already exists.")
	ErrCaptcha       = Invalid("recaptcha", "captcha_invalid", "Invalid captcha.")
)

// wrapStore turns a storage error that is not one of ours into an
// Unavailable error, so the client gets 503 and the cause is kept for logs.
func wrapStore(err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return err
	}
	return Unavailable(err)
}
