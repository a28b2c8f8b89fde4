package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/accountd/accountd/internal/twofactor"
)

// Two-factor method types (docs/api.md#two-factor-authentication).
const (
	MethodEmailCode  = "email_code"
	MethodDeviceTOTP = "device_totp"
)

// TwoFactorMethod is a stored second factor. Only device_totp methods are
// stored: an account without an active one uses the implicit email_code
// method (ImplicitEmailMethodID).
type TwoFactorMethod struct {
	ID     int64
	UserID int64
	Type   string
	Active bool
	// SecretSealed is the TOTP secret sealed by Config.Secrets with the
	// associated data totpAD(user): never stored in clear.
	SecretSealed []byte
	// LastStep is the last accepted TOTP step (twofactor.NoStep: none): a
	// code of a step not after it is a replay.
	LastStep  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ImplicitEmailMethodID is the id of the email_code method every account
// has until it activates TOTP (Webshare: every account has email by
// default). It is not stored, so it has no id of its own: 0 is never the id
// of a stored row.
const ImplicitEmailMethodID = 0

// howRecovery names a recovery code in audit details and notices.
const howRecovery = "recovery code"

// maxTokenCodeFailures is how many wrong codes revoke a pending token.
const maxTokenCodeFailures = 5

// Errors of docs/api.md#two-factor-authentication.
var (
	// ErrTwoFactorNeeded answers a pending token on a route that does not
	// accept one.
	ErrTwoFactorNeeded = &Error{Kind: KindForbidden, Code: "2fa_needed",
		Message: "Two factor authentication is needed."}
	errInvalidCode    = Invalid("code", "invalid", "Invalid code.")
	errMethodNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "Not found."}
	errMethodActive   = Invalid("non_field_errors", "invalid", "This method is already active.")
	errNoTOTP         = Invalid("non_field_errors", "invalid",
		"Two-factor authentication by an authenticator app is not active.")
	errTOTPNoEmail = Invalid("non_field_errors", "invalid",
		"This account uses an authenticator app: no code is sent by email.")
)

// MethodResult is a method as an answer shows it, with what is shown once:
// the secret when a device_totp method is created, the recovery codes when
// it is activated.
type MethodResult struct {
	Method        TwoFactorMethod
	SecretKey     string
	OTPAuthURL    string
	RecoveryCodes []string
}

// totpAD binds a sealed TOTP secret to its account, so that a sealed value
// copied onto another account's row does not open.
func totpAD(userID int64) []byte { return fmt.Appendf(nil, "totp:%d", userID) }

// implicitEmailMethod is the email_code method of an account without an
// active stored method.
func implicitEmailMethod(u User) TwoFactorMethod {
	return TwoFactorMethod{ID: ImplicitEmailMethodID, UserID: u.ID, Type: MethodEmailCode, Active: true,
		LastStep: int64(twofactor.NoStep), CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
}

// activeMethod returns the account's active method, the implicit email one
// when none is stored.
func activeMethod(ctx context.Context, st Store, u User) (TwoFactorMethod, error) {
	m, err := st.ActiveTwoFactorMethod(ctx, u.ID)
	if isNotFound(err) {
		return implicitEmailMethod(u), nil
	}
	return m, err
}

// TwoFactorMethod returns the account's active method (GET method/current/).
func (s *Service) CurrentTwoFactorMethod(ctx context.Context, t Token, u User) (TwoFactorMethod, error) {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return TwoFactorMethod{}, err
	}
	m, err := activeMethod(ctx, s.store, u)
	return m, wrapStore(err)
}

// ChangeTwoFactorMethod is POST method/: email_code becomes active at once;
// device_totp gets a new inactive method whose secret is shown this once.
func (s *Service) ChangeTwoFactorMethod(ctx context.Context, t Token, u User, typ string, c Client) (MethodResult, error) {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return MethodResult{}, err
	}
	switch typ {
	case MethodEmailCode:
		return s.useEmailMethod(ctx, u, c)
	case MethodDeviceTOTP:
		return s.enrolTOTP(ctx, u, c)
	}
	return MethodResult{}, Invalid("type", "invalid_choice", fmt.Sprintf("%q is not a valid choice.", typ))
}

// useEmailMethod makes the implicit email method active: from TOTP, a
// downgrade, recorded as such. The recovery codes stand in for the TOTP
// device only, so they go with it, in the same transaction.
func (s *Service) useEmailMethod(ctx context.Context, u User, c Client) (MethodResult, error) {
	now := s.clock()
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockUser(ctx, u.ID); err != nil { // as in ActivateTwoFactorMethod
			return err
		}
		old, err := tx.ActiveTwoFactorMethod(ctx, u.ID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.SetActiveTwoFactorMethod(ctx, u.ID, 0, 0, now); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, nil, now); err != nil {
			return err
		}
		if err := s.queueTwoFactorNotice(ctx, tx, u, noticeTOTPOff, c, nil); err != nil {
			return err
		}
		return s.event(ctx, tx, "2fa_method_changed", u.ID, u.Email, c, old.Type+" to "+MethodEmailCode)
	})
	if err != nil {
		return MethodResult{}, wrapStore(err)
	}
	s.wake()
	return MethodResult{Method: implicitEmailMethod(u)}, nil
}

// enrolTOTP creates an inactive device_totp method with a fresh secret,
// stored sealed; the secret is in the answer only.
func (s *Service) enrolTOTP(ctx context.Context, u User, c Client) (MethodResult, error) {
	now := s.clock()
	secret := twofactor.NewSecret()
	m := TwoFactorMethod{UserID: u.ID, Type: MethodDeviceTOTP, SecretSealed: s.cfg.Secrets.Seal(secret, totpAD(u.ID)),
		LastStep: int64(twofactor.NoStep), CreatedAt: now, UpdatedAt: now}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateTwoFactorMethod(ctx, &m); err != nil {
			return err
		}
		return s.event(ctx, tx, "2fa_totp_enrolled", u.ID, u.Email, c, fmt.Sprintf("method %d", m.ID))
	})
	if err != nil {
		return MethodResult{}, wrapStore(err)
	}
	return MethodResult{Method: m, SecretKey: twofactor.EncodeSecret(secret),
		OTPAuthURL: twofactor.KeyURL(s.cfg.TOTPIssuer, u.Email, secret)}, nil
}

// ActivateTwoFactorMethod is POST method/{id}/activate/: two consecutive
// codes of the method's secret make it the active method. Every other
// login token of the account becomes pending (whoever holds one has not
// shown the device), and a new set of recovery codes is shown once.
func (s *Service) ActivateTwoFactorMethod(ctx context.Context, t Token, u User, id int64, code1, code2 string, c Client) (MethodResult, error) {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return MethodResult{}, err
	}
	m, err := s.store.TwoFactorMethod(ctx, u.ID, id)
	if isNotFound(err) || err == nil && m.Type != MethodDeviceTOTP {
		// The implicit email method (id 0) is stored nowhere: not found,
		// like another account's method.
		return MethodResult{}, errMethodNotFound
	}
	if err != nil {
		return MethodResult{}, wrapStore(err)
	}
	if m.Active {
		return MethodResult{}, errMethodActive
	}
	step, err := s.verifyPair(m, code1, code2)
	if err != nil {
		s.bestEffortEvent(ctx, "2fa_activation_failed", u.ID, u.Email, c, fmt.Sprintf("method %d", m.ID))
		return MethodResult{}, err
	}
	shown, hashes := twofactor.NewRecoveryCodes()
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		// The account's lock, as SubmitTwoFactorCode takes it: a code
		// checked concurrently is checked against the method that holds
		// when it commits, so an emailed code cannot verify a session
		// after TOTP took over (PostgreSQL; SQLite has one writer).
		if err := tx.LockUser(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.SetActiveTwoFactorMethod(ctx, u.ID, m.ID, int64(step), now); err != nil {
			return err
		}
		if err := tx.PendOtherLoginTokens(ctx, u.ID, t.ID); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes, now); err != nil {
			return err
		}
		if err := s.queueTwoFactorNotice(ctx, tx, u, noticeTOTPOn, c, nil); err != nil {
			return err
		}
		return s.event(ctx, tx, "2fa_totp_activated", u.ID, u.Email, c, fmt.Sprintf("method %d", m.ID))
	})
	if err != nil {
		return MethodResult{}, wrapStore(err)
	}
	s.wake()
	m.Active, m.LastStep, m.UpdatedAt = true, int64(step), now
	return MethodResult{Method: m, RecoveryCodes: shown}, nil
}

// verifyPair checks the two activation codes and returns the step to store
// as the last accepted one, so neither code signs in afterwards.
func (s *Service) verifyPair(m TwoFactorMethod, code1, code2 string) (twofactor.Step, error) {
	c1, err1 := twofactor.ParseOTP(code1)
	c2, err2 := twofactor.ParseOTP(code2)
	var fields []FieldError
	if err1 != nil {
		fields = append(fields, FieldError{"code_1", "invalid", "Invalid code."})
	}
	if err2 != nil {
		fields = append(fields, FieldError{"code_2", "invalid", "Invalid code."})
	}
	if fields != nil {
		return twofactor.NoStep, InvalidFields(fields)
	}
	secret, err := s.cfg.Secrets.Open(m.SecretSealed, totpAD(m.UserID))
	if err != nil {
		return twofactor.NoStep, fmt.Errorf("opening a TOTP secret: %w", err)
	}
	step, err := s.cfg.TOTP.VerifyPair(secret, c1, c2, s.clock())
	switch {
	case err == nil:
		return step, nil
	case errors.Is(err, twofactor.ErrFirstCode):
		return step, Invalid("code_1", "invalid", "Invalid code.")
	case errors.Is(err, twofactor.ErrSameCodes):
		return step, Invalid("code_2", "invalid", "The two codes must be consecutive codes, not the same one.")
	}
	return step, Invalid("code_2", "invalid", "Invalid code.")
}

// SubmitTwoFactorCode is POST codeauth/: a TOTP code or a recovery code
// makes the token verified. One transaction holds the account's wait, the
// check and the compare-and-set of the step, so of two submissions of one
// code exactly one wins. A wrong code counts against the token (5 revoke
// it) and the account, whatever the IP (the wait of FailureWait).
func (s *Service) SubmitTwoFactorCode(ctx context.Context, t Token, u User, raw string, c Client) error {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return err
	}
	code, perr := twofactor.ParseCode(raw)
	now := s.clock()
	var answer error
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockUser(ctx, u.ID); err != nil {
			return err
		}
		if err := s.codeWait(ctx, tx, u.ID, now); err != nil {
			answer = err
			return nil
		}
		ok, how := false, "malformed"
		if perr == nil {
			var err error
			if ok, how, err = s.checkCode(ctx, tx, t, u, code, now); err != nil {
				return err
			}
		}
		if ok {
			return s.codeAccepted(ctx, tx, t, u, how, now, c)
		}
		answer = errInvalidCode
		return s.codeRefused(ctx, tx, t, u, how, now, c)
	})
	if err != nil {
		return wrapStore(err)
	}
	s.wake() // a notice may have been queued
	return answer
}

// codeWait is 429 while the account waits after wrong codes, even for a
// right code: the wait must not be an oracle.
func (s *Service) codeWait(ctx context.Context, tx Store, userID int64, now time.Time) error {
	n, last, err := tx.TwoFactorFailures(ctx, userID)
	if err != nil {
		return err
	}
	if until := last.Add(twofactor.FailureWait(n)); n > 0 && now.Before(until) {
		return Throttled(until.Sub(now))
	}
	return nil
}

// checkCode checks a well-formed code: a recovery code (only while
// device_totp is active: it stands in for a TOTP code) is spent, a TOTP
// code advances the method's last step, an email code (on the email_code
// method) is the one emailed for token t and is spent; false when any
// lost.
func (s *Service) checkCode(ctx context.Context, tx Store, t Token, u User, code twofactor.Code, now time.Time) (bool, string, error) {
	m, err := activeMethod(ctx, tx, u)
	if err != nil {
		return false, "code", err
	}
	if code.Recovery {
		if m.Type != MethodDeviceTOTP {
			return false, howRecovery, nil
		}
		ok, err := tx.UseRecoveryCode(ctx, u.ID, twofactor.RecoveryCodeHash(code.Value), now)
		return ok, howRecovery, err
	}
	if m.Type != MethodDeviceTOTP {
		return s.checkEmailCode(ctx, tx, t, code.Value, now)
	}
	secret, err := s.cfg.Secrets.Open(m.SecretSealed, totpAD(u.ID))
	if err != nil {
		return false, "totp", fmt.Errorf("opening a TOTP secret: %w", err)
	}
	step, ok := s.cfg.TOTP.Verify(secret, code.Value, now, twofactor.Step(m.LastStep))
	if !ok {
		return false, "totp", nil
	}
	won, err := tx.AdvanceTOTPStep(ctx, m.ID, int64(step))
	return won, "totp", err
}

// codeAccepted verifies the token, voids any email code left for it,
// records the client's device as having passed, and starts the account's
// budget afresh.
func (s *Service) codeAccepted(ctx context.Context, tx Store, t Token, u User, how string, now time.Time, c Client) error {
	if err := tx.SetTokenTwoFactor(ctx, t.ID, false); err != nil {
		return err
	}
	if _, err := tx.DeleteEmailCode(ctx, t.ID); err != nil {
		return err
	}
	if err := s.recordSecondFactor(ctx, tx, u.ID, c, now); err != nil {
		return err
	}
	if err := tx.ClearTwoFactorFailures(ctx, u.ID); err != nil {
		return err
	}
	if how == howRecovery {
		left, err := tx.CountRecoveryCodes(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := s.queueTwoFactorNotice(ctx, tx, u, noticeRecoveryUsed, c,
			map[string]string{"remaining": strconv.Itoa(left)}); err != nil {
			return err
		}
	}
	return s.event(ctx, tx, "2fa_verified", u.ID, u.Email, c, fmt.Sprintf("session %d by %s", t.ID, how))
}

// codeRefused counts a wrong code against the token and the account.
func (s *Service) codeRefused(ctx context.Context, tx Store, t Token, u User, how string, now time.Time, c Client) error {
	// Only a pending token is revoked for wrong codes: a verified one has
	// nothing left to guess, and the account's count still grows.
	tn := 0
	if t.TwoFactorPending {
		var err error
		if tn, err = tx.AddTokenTwoFactorFailure(ctx, t.ID); err != nil {
			return err
		}
		if tn >= maxTokenCodeFailures {
			if err := tx.RevokeToken(ctx, t.ID, now); err != nil {
				return err
			}
		}
	}
	an, err := tx.RecordTwoFactorFailure(ctx, u.ID, now)
	if err != nil {
		return err
	}
	if twofactor.NoticeAt(an) {
		// "Someone knows your password": the first factor was passed.
		if err := s.queueTwoFactorNotice(ctx, tx, u, noticeFailures, c,
			map[string]string{"failures": strconv.Itoa(an)}); err != nil {
			return err
		}
	}
	return s.event(ctx, tx, "2fa_failed", u.ID, u.Email, c,
		fmt.Sprintf("session %d, wrong %s: %d on the session, %d on the account", t.ID, how, tn, an))
}

// NewRecoveryCodes is POST recoverycodes/: a new set, shown once; the old
// set is void. Only with TOTP active: the codes stand in for the device.
func (s *Service) NewRecoveryCodes(ctx context.Context, t Token, u User, c Client) ([]string, error) {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return nil, err
	}
	shown, hashes := twofactor.NewRecoveryCodes()
	err := s.store.InTx(ctx, func(tx Store) error {
		m, err := activeMethod(ctx, tx, u)
		if err != nil {
			return err
		}
		if m.Type != MethodDeviceTOTP {
			return errNoTOTP
		}
		if err := tx.ReplaceRecoveryCodes(ctx, u.ID, hashes, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "2fa_recovery_codes_replaced", u.ID, u.Email, c, "")
	})
	if err != nil {
		return nil, wrapStore(err)
	}
	return shown, nil
}

// Two-factor notices (Data["change"] of MailTwoFactor).
const (
	noticeTOTPOn        = "totp_on"
	noticeTOTPOff       = "totp_off"
	noticeRecoveryUsed  = "recovery_used"
	noticeFailures      = "failures"
	noticeOperatorReset = "operator_reset"
)

// queueTwoFactorNotice queues the notice of a two-factor change in tx, so
// it goes out exactly when the change commits; extra adds to its data.
func (s *Service) queueTwoFactorNotice(ctx context.Context, tx Store, u User, change string, c Client, extra map[string]string) error {
	data := map[string]string{"change": change, "email": u.Email, "changed_at": formatMailTime(s.clock()),
		"ip": c.IP, "user_agent": c.UserAgent, "reset_url": s.cfg.DashboardURL + "/resetpassword/"}
	for k, v := range extra {
		data[k] = v
	}
	return tx.EnqueueMail(ctx, s.newMail(MailTwoFactor, u.Email, c, data))
}
