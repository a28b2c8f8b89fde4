package account

import (
	"context"
	"fmt"
)

// ResetLink issues a reset link for the account with the given address, for
// an operator (docs/api.md#password-reset): `accountd reset-link`. See ResetLinkFor.
func (s *Service) ResetLink(ctx context.Context, email string, send bool) (string, error) {
	u, err := s.FindUser(ctx, email)
	if err != nil {
		return "", err
	}
	return s.ResetLinkFor(ctx, u.ID, send, Operator{Via: "accountd reset-link"})
}

// ResetLinkFor issues a reset link for the account id. With send it queues
// the reset email instead of returning the link, and returns "". An
// operator can never set a password.
func (s *Service) ResetLinkFor(ctx context.Context, id int64, send bool, op Operator) (string, error) {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return "", err
	}
	c := op.client()
	// issued_by tells the templates the user did not ask: the email must not
	// say "if you did not ask for this" as if they had.
	m := s.newMail(MailResetRequest, u.Email, c, map[string]string{"ip": c.IP, "user_agent": c.UserAgent,
		"issued_by": "operator"})
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		if *m, err = s.resetMail(ctx, tx, u, *m, s.clock()); err != nil {
			return err
		}
		if send {
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, "reset_link_issued", u.ID, u.Email, c, map[bool]string{true: "emailed", false: "printed"}[send])
	})
	if err != nil {
		return "", wrapStore(err)
	}
	if send {
		s.wake()
		return "", nil
	}
	opened, err := s.OpenMail(*m) // sealed a moment ago by this process: it opens
	if err != nil {
		return "", Unavailable(err)
	}
	return opened.Data["link"], nil
}

// Events returns audit events, newest first.
func (s *Service) Events(ctx context.Context, email string, f EventFilter) ([]Event, error) {
	if email != "" {
		f.EmailKey = EmailKey(email)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	ev, err := s.store.Events(ctx, f)
	return ev, wrapStore(err)
}

// RetryMail queues a dead email again with a fresh count of attempts. A
// reset email whose link was erased when it died cannot be resent: the
// operator issues a new link instead.
func (s *Service) RetryMail(ctx context.Context, id int64) error {
	m, err := s.store.MailByID(ctx, id)
	if isNotFound(err) {
		return &Error{Kind: KindNotFound, Code: "not_found", Message: fmt.Sprintf("no email has id %d", id)}
	}
	if err != nil {
		return wrapStore(err)
	}
	if m.Status != MailDead {
		return &Error{Kind: KindConflict, Code: "not_dead", Message: fmt.Sprintf("email %d is %s, not dead", id, m.Status)}
	}
	if m.Kind == MailResetLink && m.Data["link"] == "" {
		return &Error{Kind: KindConflict, Code: "secret_erased", Message: "the link of this reset email was erased " +
			"when it died; issue a new one with `accountd reset-link -send " + m.To + "`"}
	}
	m.Status, m.Attempts, m.LastError, m.NextAt = MailQueued, 0, "", s.clock()
	if err := s.store.UpdateMail(ctx, m); err != nil {
		return wrapStore(err)
	}
	s.wake()
	return nil
}

// ResetTwoFactor is `accountd user 2fa-reset EMAIL`: see ResetTwoFactorFor.
func (s *Service) ResetTwoFactor(ctx context.Context, email string) error {
	u, err := s.FindUser(ctx, email)
	if err != nil {
		return err
	}
	_, err = s.ResetTwoFactorFor(ctx, u.ID, Operator{Via: "accountd user 2fa-reset"})
	return err
}

// ResetTwoFactorFor is the operator's way back for a user who lost the TOTP
// device and the recovery codes (docs/api.md#two-factor-authentication): the account goes back to the
// email_code method, its recovery codes and wrong-code count are cleared,
// and its login tokens are revoked, so whoever holds one signs in again.
// API keys stay: they never passed 2FA. The operator checked who asks; the
// audit event records it.
func (s *Service) ResetTwoFactorFor(ctx context.Context, id int64, op Operator) (User, error) {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	c := op.client()
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockUser(ctx, u.ID); err != nil { // as in ActivateTwoFactorMethod
			return err
		}
		if err := tx.SetActiveTwoFactorMethod(ctx, u.ID, 0, 0, now); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, nil, now); err != nil {
			return err
		}
		if err := tx.ClearTwoFactorFailures(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.RevokeTokens(ctx, u.ID, 0, []TokenKind{TokenLogin}, now); err != nil {
			return err
		}
		if err := s.queueTwoFactorNotice(ctx, tx, u, noticeOperatorReset, c, nil); err != nil {
			return err
		}
		return s.event(ctx, tx, "2fa_reset_by_operator", u.ID, u.Email, c, "back to email_code; sessions revoked")
	})
	if err != nil {
		return User{}, wrapStore(err)
	}
	s.wake()
	return u, nil
}
