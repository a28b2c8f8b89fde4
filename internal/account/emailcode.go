package account

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/accountd/accountd/internal/twofactor"
)

// Email codes as a second factor (docs/api.md#two-factor-authentication, method email_code).

// Email 2FA policies (ACCOUNTD_EMAIL_2FA): when a sign-in of an email_code
// account is challenged.
const (
	EmailTwoFactorOff       = "off"
	EmailTwoFactorNewDevice = "new_device"
	EmailTwoFactorAlways    = "always"
)

// EmailCode is the code emailed for one pending login token. Only its HMAC
// is stored (twofactor.EmailCodes), bound to the token.
type EmailCode struct {
	TokenID   int64
	UserID    int64
	Hash      []byte
	SentAt    time.Time
	ExpiresAt time.Time
}

const (
	// emailCodeTTL is how long an emailed code works (ASVS 6.5.5).
	emailCodeTTL = 10 * time.Minute
	// emailCodeCooldown is the least time between two codes of a token.
	emailCodeCooldown = 60 * time.Second
	// howEmailCode names an email code in audit details.
	howEmailCode = "email code"
)

// emailCodeResends is the budget of resent codes per account (docs/api.md#two-factor-authentication: 10 a
// day), whatever the token: the codes emailed at sign-in are bounded by
// the sign-in's own limits instead (captcha, per-IP and password budgets).
var emailCodeResends = Rate{N: 10, Per: 24 * time.Hour}

// MailTwoFactorCode carries an email code; MailNewSignIn is the "new
// sign-in" notice (docs/api.md#sessions).
const (
	MailTwoFactorCode = "two_factor_code"
	MailNewSignIn     = "new_sign_in"
)

// emailPolicyChallenges decides, for an email_code account, whether the
// sign-in from device d starts pending.
func (s *Service) emailPolicyChallenges(d SignInDevice, now time.Time) bool {
	switch s.cfg.EmailTwoFactor {
	case EmailTwoFactorAlways:
		return true
	case EmailTwoFactorNewDevice:
		return !recent(d.PassedAt, now)
	}
	return false
}

// sendEmailCode makes a new code for login token t, voiding any earlier
// one, and queues it in tx. The email names the sign-in of t (its time, IP
// and browser), whoever asked for the code; c gives the language.
func (s *Service) sendEmailCode(ctx context.Context, tx Store, u User, t Token, c Client, why string) error {
	now := s.clock()
	code := twofactor.NewEmailCode()
	err := tx.SetEmailCode(ctx, EmailCode{TokenID: t.ID, UserID: u.ID, Hash: s.cfg.EmailCodes.Hash(t.ID, code),
		SentAt: now, ExpiresAt: now.Add(emailCodeTTL)})
	if err != nil {
		return err
	}
	data := map[string]string{"code": code, "email": u.Email, "signed_in_at": formatMailTime(t.CreatedAt),
		"ip": t.IP, "user_agent": t.UserAgent, "minutes": strconv.Itoa(int(emailCodeTTL / time.Minute)),
		"reset_url": s.cfg.DashboardURL + "/resetpassword/"}
	if err := tx.EnqueueMail(ctx, s.newMail(MailTwoFactorCode, u.Email, c, data)); err != nil {
		return err
	}
	return s.event(ctx, tx, "2fa_email_code_sent", u.ID, u.Email, c, sessionDetail(t.ID)+", "+why)
}

// sessionDetail names a login token in audit details.
func sessionDetail(id int64) string { return fmt.Sprintf("session %d", id) }

// checkEmailCode checks a six-digit code against the one emailed for
// token t, and spends it when right: single use, decided by the delete.
// An expired code is wrong, whatever it says.
func (s *Service) checkEmailCode(ctx context.Context, tx Store, t Token, code string, now time.Time) (bool, string, error) {
	ec, err := tx.EmailCode(ctx, t.ID)
	if isNotFound(err) {
		return false, howEmailCode + " (none sent)", nil
	}
	if err != nil {
		return false, howEmailCode, err
	}
	if !now.Before(ec.ExpiresAt) {
		return false, "expired " + howEmailCode, nil
	}
	if !s.cfg.EmailCodes.Match(t.ID, code, ec.Hash) {
		return false, howEmailCode, nil
	}
	won, err := tx.DeleteEmailCode(ctx, t.ID)
	return won, howEmailCode, err
}

// ResendTwoFactorEmail is POST email/resend/: a new code for the pending
// token, the old one void. It answers false, sending nothing, inside
// emailCodeCooldown of the token's last code, past the account's
// emailCodeResends, and for a verified token (nothing to prove); on a TOTP
// account it is 400: no code is emailed there.
func (s *Service) ResendTwoFactorEmail(ctx context.Context, t Token, u User, c Client) (bool, error) {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return false, err
	}
	m, err := activeMethod(ctx, s.store, u)
	if err != nil {
		return false, wrapStore(err)
	}
	if m.Type == MethodDeviceTOTP {
		return false, errTOTPNoEmail
	}
	now := s.clock()
	if refused, err := s.resendRefused(ctx, s.store, t, now); err != nil || refused != "" {
		s.resendNotSent(ctx, u, t, c, refused)
		return false, wrapStore(err)
	}
	key := "2faresend:" + strconv.FormatInt(u.ID, 10)
	counted, err := s.taken(ctx, key, emailCodeResends)
	if err != nil {
		s.resendNotSent(ctx, u, t, c, "the daily cap")
		return false, nil
	}
	sent, err := s.resend(ctx, t, u, c, now)
	if counted && !sent {
		s.give(ctx, key, emailCodeResends) // only a sent code counts
	}
	return sent, err
}

// resend sends the new code in a transaction that checks again, under the
// account's lock, that the token still waits for one: of two concurrent
// resends one sends.
func (s *Service) resend(ctx context.Context, t Token, u User, c Client, now time.Time) (sent bool, err error) {
	refused := ""
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockUser(ctx, u.ID); err != nil {
			return err
		}
		if refused, err = s.resendRefused(ctx, tx, t, now); err != nil || refused != "" {
			return err
		}
		sent = true
		return s.sendEmailCode(ctx, tx, u, t, c, "resent")
	})
	if err != nil {
		return false, wrapStore(err)
	}
	if !sent {
		s.resendNotSent(ctx, u, t, c, refused)
		return false, nil
	}
	s.wake()
	return true, nil
}

// resendRefused says why token t gets no new code now ("": it does).
func (s *Service) resendRefused(ctx context.Context, st Store, t Token, now time.Time) (string, error) {
	tok, err := st.LoginToken(ctx, t.UserID, t.ID)
	if isNotFound(err) {
		return "a revoked session", nil
	}
	if err != nil {
		return "", err
	}
	if !tok.TwoFactorPending {
		return "a verified session", nil
	}
	ec, err := st.EmailCode(ctx, t.ID)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if now.Sub(ec.SentAt) < emailCodeCooldown {
		return "the cooldown", nil
	}
	return "", nil
}

// resendNotSent leaves the audit trace of a resend that sent nothing.
func (s *Service) resendNotSent(ctx context.Context, u User, t Token, c Client, why string) {
	if why != "" {
		s.bestEffortEvent(ctx, "2fa_email_code_not_sent", u.ID, u.Email, c, sessionDetail(t.ID)+": "+why)
	}
}
