package account

import (
	"context"
	"errors"
	"time"
)

// EmailChange is a pending change of address, confirmed by a code sent to
// the new address. Only the SHA-256 of the code is stored.
type EmailChange struct {
	ID        int64
	UserID    int64
	Hash      []byte
	NewEmail  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	VoidedAt  time.Time
}

// emailChangeTTL is how long a confirmation code works (docs/api.md#change-of-address).
const emailChangeTTL = 24 * time.Hour

// Mail kinds of the change of address.
const (
	MailEmailChangeConfirm   = "email_change_confirm"   // to the new address, with the link
	MailEmailChangeRequested = "email_change_requested" // to the old address, a notice
	MailEmailChanged         = "email_changed"          // to the old address, after the change
)

var (
	errNewEmailTaken  = Invalid("new_email", "unique", "A user with that email already exists.")
	errCodeInvalid    = Invalid("confirmation_code", "invalid", "Invalid confirmation code.")
	errCodeExpired    = Invalid("confirmation_code", "expired", "The confirmation code has expired.")
	errNewEmailIsSame = Invalid("new_email", "invalid", "This is already the email of your account.")
)

// RequestEmailChange checks the password and the new address, and emails a
// confirmation link to the new address and a notice to the old one. Nothing
// changes until the code is used (docs/api.md#change-of-address).
func (s *Service) RequestEmailChange(ctx context.Context, u User, pw, newEmail string, c Client) error {
	newEmail, err := ValidateEmail("new_email", newEmail)
	if err != nil {
		return err
	}
	if EmailKey(newEmail) == u.EmailKey {
		return errNewEmailIsSame
	}
	if err := s.checkCurrentPassword(ctx, u, pw, c); err != nil {
		return err
	}
	if err := s.addressFree(ctx, s.store, newEmail, u.ID); err != nil {
		return err
	}
	raw, now := NewSecretHex(), s.clock()
	ec := EmailChange{UserID: u.ID, Hash: HashSecret(raw), NewEmail: newEmail, CreatedAt: now,
		ExpiresAt: now.Add(emailChangeTTL)}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateEmailChange(ctx, &ec); err != nil {
			return err
		}
		confirm := s.newMail(MailEmailChangeConfirm, newEmail, c, map[string]string{
			"email": u.Email, "new_email": newEmail, "code": raw,
			"link":       s.cfg.DashboardURL + "/changeemail/" + raw + "/confirm/",
			"expires_at": formatMailTime(ec.ExpiresAt),
		})
		notice := s.newMail(MailEmailChangeRequested, u.Email, c, map[string]string{
			"email": u.Email, "new_email": newEmail, "requested_at": formatMailTime(now),
			"ip": c.IP, "user_agent": c.UserAgent, "reset_url": s.cfg.DashboardURL + "/resetpassword/",
		})
		for _, m := range []*Mail{confirm, notice} {
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, "email_change_requested", u.ID, u.Email, c, "")
	})
	if err != nil {
		return wrapStore(err)
	}
	s.wake()
	return nil
}

// addressFree reports errNewEmailTaken when an account other than userID
// has the address.
func (s *Service) addressFree(ctx context.Context, st Store, email string, userID int64) error {
	other, err := st.UserByEmailKey(ctx, EmailKey(email))
	switch {
	case err == nil && other.ID != userID:
		return errNewEmailTaken
	case err != nil && !isNotFound(err):
		return wrapStore(err)
	}
	return nil
}

// PendingEmailChange returns the change of address a confirmation code of
// the same account would make, consuming nothing: the confirm page shows
// the new address before the owner agrees to it, so a link an attacker
// sends cannot move an account to an address its owner never saw. Other
// accounts' codes are as unknown as made-up ones.
func (s *Service) PendingEmailChange(ctx context.Context, u User, code string) (EmailChange, error) {
	return s.usableEmailChange(ctx, u, code)
}

// usableEmailChange looks up a confirmation code of u and says why it
// cannot be used, if it cannot.
func (s *Service) usableEmailChange(ctx context.Context, u User, code string) (EmailChange, error) {
	if !validSecretHex(code) {
		return EmailChange{}, errCodeInvalid
	}
	ec, err := s.store.EmailChangeByHash(ctx, HashSecret(code))
	switch {
	case isNotFound(err) || err == nil && ec.UserID != u.ID:
		// Another account's code is as unknown as a made-up one.
		return EmailChange{}, errCodeInvalid
	case err != nil:
		return EmailChange{}, wrapStore(err)
	case !ec.UsedAt.IsZero() || !ec.VoidedAt.IsZero() || ec.CreatedAt.Before(u.EmailChangedAt) ||
		ec.CreatedAt.Before(u.PasswordChangedAt):
		// Older than the password too: a code asked for with a stolen
		// token must not outlive the reset that ended the theft (issue 12
		// A4), even one left outstanding by a version that did not void it.
		return EmailChange{}, errCodeInvalid
	case !s.clock().Before(ec.ExpiresAt):
		return EmailChange{}, errCodeExpired
	}
	return ec, nil
}

// CompleteEmailChange uses a confirmation code of the same account: the
// address changes and counts as verified, outstanding reset tokens, codes
// and activation tokens are voided, every other login token of the account
// is revoked (API keys stay: they are the owner's automation, not a
// session someone may have taken), and the old address gets a notice. t is
// the token the request came with; it stays valid.
func (s *Service) CompleteEmailChange(ctx context.Context, t Token, u User, code string, c Client) error {
	ec, err := s.usableEmailChange(ctx, u, code)
	if err != nil {
		return err
	}
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := s.addressFree(ctx, tx, ec.NewEmail, u.ID); err != nil {
			return err
		}
		if err := tx.UseEmailChange(ctx, ec.ID, now); err != nil {
			return err
		}
		if err := tx.SetEmail(ctx, u.ID, ec.NewEmail, EmailKey(ec.NewEmail), now); err != nil {
			return err
		}
		if err := s.voidPending(ctx, tx, u.ID, now); err != nil {
			return err
		}
		// A login token taken while the account had the old address must
		// not outlive the move (issue 12 A14).
		if err := tx.RevokeTokens(ctx, u.ID, t.ID, []TokenKind{TokenLogin}, now); err != nil {
			return err
		}
		notice := s.newMail(MailEmailChanged, u.Email, c, map[string]string{
			"email": u.Email, "new_email": ec.NewEmail, "changed_at": formatMailTime(now),
			"ip": c.IP, "user_agent": c.UserAgent,
		})
		if err := tx.EnqueueMail(ctx, notice); err != nil {
			return err
		}
		return s.event(ctx, tx, "email_changed", u.ID, ec.NewEmail, c, "from "+u.Email)
	})
	switch {
	case isNotFound(err):
		return errCodeInvalid
	case errors.Is(err, ErrConflict):
		return errNewEmailTaken
	case err != nil:
		return wrapStore(err)
	}
	s.wake()
	return nil
}

// voidPending voids every outstanding reset token, change-of-address code
// and activation token of the user: each is a credential sent while the
// password or the address was what it no longer is, so a password change,
// a reset and a change of address end them all (issue 12 A4, A10).
func (s *Service) voidPending(ctx context.Context, tx Store, userID int64, now time.Time) error {
	for _, void := range []func(context.Context, int64, time.Time) error{
		tx.VoidResetTokens, tx.VoidEmailChanges, tx.VoidActivations,
	} {
		if err := void(ctx, userID, now); err != nil {
			return err
		}
	}
	return nil
}
