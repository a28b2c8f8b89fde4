package account

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/accountd/accountd/internal/password"
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
	// SuspendedAt is when an operator suspended the account, zero unless
	// suspended; SuspensionReason says why (docs/api.md#suspension-staff-and-federated-access, suspension.go).
	SuspendedAt      time.Time
	SuspensionReason string
	// Staff may act as another account with X-Webshare-Federated-Access
	// when the operator allows it (docs/api.md#suspension-staff-and-federated-access).
	Staff bool
}

// Deleted reports whether the account was deleted.
func (u User) Deleted() bool { return !u.DeletedAt.IsZero() }

// Suspended reports whether an operator suspended the account.
func (u User) Suspended() bool { return !u.SuspendedAt.IsZero() }

// MaxEmailLength is the longest address accepted (docs/api.md#conventions).
const MaxEmailLength = 254

var errInvalidEmail = Invalid("email", "invalid", "Enter a valid email address.")

// EmailKey returns the form of an address used to compare addresses: NFKC
// normalised and case folded.
func EmailKey(email string) string {
	return cases.Fold().String(norm.NFKC.String(email))
}

// ValidateEmail checks the format of an address (docs/api.md#conventions) and returns it
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

// RegisterInput is the body of a register request, decoded and with its
// required fields present.
type RegisterInput struct {
	Email                  string
	Password               string
	TOSAccepted            bool
	MarketingEmailAccepted bool
}

// Register creates an account and returns a login token. When the address
// already has an account and the password matches it, that user is logged in
// instead and existing is true (docs/api.md#register-and-login).
func (s *Service) Register(ctx context.Context, in RegisterInput, c Client) (token string, existing bool, err error) {
	var fields []FieldError
	email, err := ValidateEmail("email", in.Email)
	if err != nil {
		fields = append(fields, err.(*Error).Fields...)
	}
	if !in.TOSAccepted {
		fields = append(fields, FieldError{"tos_accepted", "invalid", "You must accept the terms of service."})
	}
	if len(fields) > 0 {
		return "", false, InvalidFields(fields)
	}
	key := EmailKey(email)
	u, err := s.store.UserByEmailKey(ctx, key)
	switch {
	case err == nil && !u.Deleted():
		// The right password logs in: a login attempt, in the login budget
		// (issue 12 defect 6).
		var tok string
		err := s.signInAttempt(ctx, key, c, func() (err error) {
			tok, err = s.loginExisting(ctx, u, in.Password, c)
			return err
		})
		if errors.Is(err, ErrBadCredentials) {
			return "", false, ErrEmailTaken
		}
		return tok, err == nil, err
	case err == nil: // a deleted account keeps its address until the purge
		return "", false, ErrEmailTaken
	case !isNotFound(err):
		return "", false, wrapStore(err)
	}
	if f := s.checkPassword(ctx, "password", in.Password, email); len(f) > 0 {
		return "", false, InvalidFields(f)
	}
	hash, err := s.hash(ctx, byIP(c), in.Password)
	if err != nil {
		return "", false, err
	}
	now := s.clock()
	u = User{Email: email, EmailKey: key, PasswordHash: hash, Timezone: "UTC",
		MarketingEmailAccepted: in.MarketingEmailAccepted,
		CreatedAt:              now, UpdatedAt: now, PasswordChangedAt: now, EmailChangedAt: now}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		if token, _, err = s.mintLoginToken(ctx, tx, u, c, signInRegistered); err != nil {
			return err
		}
		if err := tx.SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		if err := s.queueActivation(ctx, tx, u, c, now); err != nil {
			return err
		}
		return s.event(ctx, tx, "registered", u.ID, u.Email, c, "")
	})
	if errors.Is(err, ErrConflict) {
		return "", false, ErrEmailTaken
	}
	if err != nil {
		return "", false, wrapStore(err)
	}
	s.wake()
	return token, false, nil
}

// ChangePassword sets a new password after checking the current one, revokes
// every other token and outstanding reset token, and queues the notice.
func (s *Service) ChangePassword(ctx context.Context, t Token, u User, current, next string, c Client) error {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, u, current, c); err != nil {
		return err
	}
	// After the current password (which proves who asks), before the
	// rules: the same password needs no other reason. The current one was
	// just verified, so comparing the normalised strings costs no hash.
	if password.Normalize(current) == password.Normalize(next) {
		return errPasswordUnchanged("new_password")
	}
	if f := s.checkPassword(ctx, "new_password", next, u.Email); len(f) > 0 {
		return InvalidFields(f)
	}
	hash, err := s.hash(ctx, byAccount(u, c), next)
	if err != nil {
		return err
	}
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		return s.setPassword(ctx, tx, u, hash, t.ID, []TokenKind{TokenLogin, TokenAPIKey}, now, c, "password_changed")
	})
	if err != nil {
		return wrapStore(err)
	}
	s.wake()
	return nil
}

// setPassword stores a new password hash and does what every password change
// entails: revoke the tokens of the given kinds but keep, void the reset
// tokens, change-of-address codes and activation tokens, queue the notice
// and record the event.
func (s *Service) setPassword(ctx context.Context, tx Store, u User, hash string, keep int64, kinds []TokenKind, now time.Time, c Client, event string) error {
	if err := tx.SetPassword(ctx, u.ID, hash, now); err != nil {
		return err
	}
	// A new password starts the wrong-code budget afresh (docs/api.md#two-factor-authentication).
	if err := tx.ClearTwoFactorFailures(ctx, u.ID); err != nil {
		return err
	}
	if err := tx.RevokeTokens(ctx, u.ID, keep, kinds, now); err != nil {
		return err
	}
	if err := s.voidPending(ctx, tx, u.ID, now); err != nil {
		return err
	}
	notice := s.newMail(MailPasswordChanged, u.Email, c, map[string]string{
		"email": u.Email, "changed_at": formatMailTime(now), "ip": c.IP, "user_agent": c.UserAgent,
		"reset_url": s.cfg.DashboardURL + "/resetpassword/",
	})
	if err := tx.EnqueueMail(ctx, notice); err != nil {
		return err
	}
	return s.event(ctx, tx, event, u.ID, u.Email, c, "")
}

// ProfilePatch holds the writable profile fields; nil leaves a field as is.
type ProfilePatch struct {
	FirstName *string
	LastName  *string
	Timezone  *string
}

// Name lengths follow Django's AbstractUser.
const maxNameLength = 150

// UpdateProfile applies a patch to the user's profile and returns the result.
func (s *Service) UpdateProfile(ctx context.Context, u User, p ProfilePatch) (User, error) {
	var fields []FieldError
	checkName := func(field string, v *string) {
		if v != nil && utf8.RuneCountInString(*v) > maxNameLength {
			fields = append(fields, FieldError{field, "max_length",
				"Ensure this field has no more than 150 characters."})
		}
	}
	checkName("first_name", p.FirstName)
	checkName("last_name", p.LastName)
	if p.Timezone != nil {
		if _, err := time.LoadLocation(*p.Timezone); err != nil || *p.Timezone == "" || *p.Timezone == "Local" {
			fields = append(fields, FieldError{"timezone", "invalid", "Enter a valid timezone."})
		}
	}
	if len(fields) > 0 {
		return User{}, InvalidFields(fields)
	}
	if p.FirstName != nil {
		u.FirstName = *p.FirstName
	}
	if p.LastName != nil {
		u.LastName = *p.LastName
	}
	if p.Timezone != nil {
		u.Timezone = *p.Timezone
	}
	u.UpdatedAt = s.clock()
	if err := s.store.UpdateProfile(ctx, u); err != nil {
		return User{}, wrapStore(err)
	}
	return u, nil
}

// DeleteAccount marks the account deleted after checking its password. Its
// tokens stay, so every request with them is 403 account_deleted; its
// reset tokens die; login, reset and activation treat its address as
// unknown; the purge erases it after the grace period (docs/api.md#delete-account).
func (s *Service) DeleteAccount(ctx context.Context, u User, pw string, c Client) error {
	if err := s.checkCurrentPassword(ctx, u, pw, c); err != nil {
		return err
	}
	return s.markDeleted(ctx, u, c, "account_deleted", "")
}

// markDeleted marks the account deleted, voids its reset tokens and codes,
// and records the event typ with detail (how the owner proved presence: a
// password, or a fresh social sign-in; or that an operator did it).
func (s *Service) markDeleted(ctx context.Context, u User, c Client, typ, detail string) error {
	now := s.clock()
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.MarkDeleted(ctx, u.ID, now); err != nil {
			return err
		}
		if err := tx.VoidResetTokens(ctx, u.ID, now); err != nil {
			return err
		}
		if err := tx.VoidEmailChanges(ctx, u.ID, now); err != nil {
			return err
		}
		return s.event(ctx, tx, typ, u.ID, u.Email, c, detail)
	})
	return wrapStore(err)
}

// Purge erases the accounts deleted more than grace ago and returns how
// many it erased.
func (s *Service) Purge(ctx context.Context, grace time.Duration) (int, error) {
	n, err := s.store.PurgeDeleted(ctx, s.clock().Add(-grace))
	return n, wrapStore(err)
}

// checkCurrentPassword verifies the user's password for a sensitive change.
// Failures count per account in the password-failure budget, taken before
// hashing: a stolen login token does not buy unlimited guesses (issue 12
// defect 3).
func (s *Service) checkCurrentPassword(ctx context.Context, u User, pw string, c Client) error {
	return s.passwordAttempt(ctx, passwordCheckKey(u.ID), ErrWrongPassword, func() error {
		return s.verifyCurrentPassword(ctx, u, pw, c)
	})
}

// verifyCurrentPassword is checkCurrentPassword within the budget.
func (s *Service) verifyCurrentPassword(ctx context.Context, u User, pw string, c Client) error {
	ok, _, err := s.verify(ctx, byAccount(u, c), pw, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		s.bestEffortEvent(ctx, "password_check_failed", u.ID, u.Email, c, "wrong password")
		return ErrWrongPassword
	}
	return nil
}
