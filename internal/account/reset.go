package account

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ResetToken is one password reset token. Only the SHA-256 of its value is
// stored.
type ResetToken struct {
	ID        int64
	UserID    int64
	Hash      []byte
	Email     string // the address the link was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
	VoidedAt  time.Time // zero unless voided (another token used, cancelled, password changed)
}

// resetCapWindow is the window of the per-address cap on reset emails.
const resetCapWindow = time.Hour

var (
	errResetInvalid = Invalid("password_reset_token", "invalid", "Invalid password reset token.")
	errResetExpired = Invalid("password_reset_token", "expired", "The password reset token has expired.")
)

// RequestReset queues a reset request for an address. It does the same work
// whether or not an account has the address: one outbox row. The mail worker
// resolves it later (ResolveMail), so nothing the caller sees depends on the
// account's existence (docs/architecture.md#the-reset-request-is-asynchronous).
func (s *Service) RequestReset(ctx context.Context, email string, c Client) error {
	email, err := ValidateEmail("email", email)
	if err != nil {
		return err
	}
	m := s.newMail(MailResetRequest, email, c, map[string]string{
		"ip": c.IP, "user_agent": truncate(c.UserAgent, 512), "requested_at": formatMailTime(s.clock()),
	})
	if err := s.store.EnqueueMail(ctx, m); err != nil {
		return wrapStore(err)
	}
	s.wake()
	return nil
}

// ResolveMail turns a queued reset request into a reset email with a fresh
// token, or into nothing when no active account has the address or the
// address reached its hourly cap. It persists the result.
func (s *Service) ResolveMail(ctx context.Context, m Mail) (Mail, error) {
	if m.Kind != MailResetRequest {
		return m, nil
	}
	var out Mail
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		out, err = s.resolveIn(ctx, tx, m)
		return err
	})
	if err != nil {
		return m, err
	}
	return out, nil
}

// ResolveMails resolves the reset requests among a claimed batch, as
// ResolveMail does, in one transaction: one commit for the batch rather than
// one per mail, which on SQLite's single writer bounds how fast the queue
// drains. The requests are resolved in address order, so nodes whose batches
// share accounts lock them in the same order. If the batch fails, each
// request is resolved on its own, so one bad mail cannot hold back the rest.
// Mails of other kinds come back unchanged; a mail whose error is not nil
// comes back as it was given.
func (s *Service) ResolveMails(ctx context.Context, ms []Mail) ([]Mail, []error) {
	out, errs := slices.Clone(ms), make([]error, len(ms))
	var todo []int // indexes of the reset requests, in address order
	keys := make([]string, len(ms))
	for i, m := range ms {
		if m.Kind == MailResetRequest {
			todo = append(todo, i)
			keys[i] = EmailKey(m.To) // once each: it normalises Unicode
		}
	}
	slices.SortStableFunc(todo, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	if len(todo) > 1 {
		resolved := make([]Mail, len(todo))
		err := s.store.InTx(ctx, func(tx Store) error {
			for j, i := range todo {
				var err error
				if resolved[j], err = s.resolveIn(ctx, tx, ms[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for j, i := range todo {
				out[i] = resolved[j]
			}
			return out, errs
		}
	}
	for _, i := range todo {
		// A batch whose commit failed in a way that leaves its outcome
		// unknown (a lost connection) may have committed after all: a
		// request already resolved under our claim is taken as stored, not
		// given a second token; one claimed by another worker since is not
		// ours to touch.
		if cur, err := s.store.MailByID(ctx, ms[i].ID); err == nil && !ms[i].Lease.IsZero() {
			switch {
			case !cur.NextAt.Equal(ms[i].Lease):
				errs[i] = ErrLeaseLost
				continue
			case cur.Kind != MailResetRequest || cur.Status != MailQueued:
				cur.Lease = ms[i].Lease
				out[i] = cur
				continue
			}
		}
		out[i], errs[i] = s.ResolveMail(ctx, ms[i])
	}
	return out, errs
}

// resolveIn is ResolveMail's work within tx.
func (s *Service) resolveIn(ctx context.Context, tx Store, m Mail) (Mail, error) {
	c := Client{IP: m.Data["ip"], UserAgent: m.Data["user_agent"], Locale: m.Locale}
	u, err := tx.UserByEmailKey(ctx, EmailKey(m.To))
	if isNotFound(err) || err == nil && u.Deleted() {
		m, err = s.noAccountMail(ctx, tx, m)
		if err != nil {
			return m, err
		}
		detail := "no active account"
		if m.Status != MailSuppressed {
			detail += "; notice sent"
		}
		if err := s.event(ctx, tx, "reset_requested", 0, m.To, c, detail); err != nil {
			return m, err
		}
		return m, tx.UpdateMail(ctx, m)
	}
	if err != nil {
		return m, err
	}
	if err := tx.LockUser(ctx, u.ID); err != nil {
		return m, err
	}
	if err := s.event(ctx, tx, "reset_requested", u.ID, u.Email, c, ""); err != nil {
		return m, err
	}
	now := s.clock()
	n, err := tx.CountResetTokens(ctx, u.ID, now.Add(-resetCapWindow))
	if err != nil {
		return m, err
	}
	if n >= s.cfg.ResetEmailsPerHour {
		m.Status = MailSuppressed
		if err := s.event(ctx, tx, "reset_suppressed", u.ID, u.Email, c, "per-address cap reached"); err != nil {
			return m, err
		}
		return m, tx.UpdateMail(ctx, m)
	}
	m, err = s.resetMail(ctx, tx, u, m, now)
	if err != nil {
		return m, err
	}
	return m, tx.UpdateMail(ctx, m)
}

// noAccountMail turns a reset request for an address without an account
// into the optional notice, or suppresses it. The notice goes to the address
// as typed (there is no stored one), so it is sent only to plain ASCII
// addresses, lower-cased: no Unicode case mapping can redirect it, and it
// carries no secret. The hourly cap is the reset emails' cap.
func (s *Service) noAccountMail(ctx context.Context, tx Store, m Mail) (Mail, error) {
	m.Status = MailSuppressed
	if !s.cfg.NotifyUnknownAddress || !isASCII(m.To) {
		return m, nil
	}
	to := strings.ToLower(m.To)
	n, err := tx.CountMail(ctx, MailResetNoAccount, to, s.clock().Add(-resetCapWindow))
	if err != nil || n >= s.cfg.ResetEmailsPerHour {
		return m, err
	}
	m.Kind, m.To, m.Status = MailResetNoAccount, to, MailQueued
	m.Data = map[string]string{"email": to, "ip": m.Data["ip"], "user_agent": m.Data["user_agent"],
		"requested_at": m.Data["requested_at"]}
	return m, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// resetMail creates a reset token for u and fills m as the email carrying it,
// addressed to the stored address, never the one typed (CVE-2019-19844).
func (s *Service) resetMail(ctx context.Context, tx Store, u User, m Mail, now time.Time) (Mail, error) {
	raw := NewSecretHex()
	rt := ResetToken{UserID: u.ID, Hash: HashSecret(raw), Email: u.Email,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.ResetTokenTTL)}
	if err := tx.CreateResetToken(ctx, &rt); err != nil {
		return m, err
	}
	data := map[string]string{
		"email":       u.Email,
		"token":       raw,
		"link":        s.cfg.DashboardURL + "/resetpassword/" + raw + "/confirm/",
		"cancel_link": s.cfg.DashboardURL + "/resetpassword/" + raw + "/cancel/",
		"expires_at":  formatMailTime(rt.ExpiresAt),
		// For the audit events of its delivery (RecordDeliveries).
		"user_id": strconv.FormatInt(u.ID, 10),
	}
	for _, k := range []string{"ip", "user_agent", "requested_at", "issued_by"} {
		data[k] = m.Data[k]
	}
	if data["requested_at"] == "" {
		data["requested_at"] = formatMailTime(now)
	}
	m.Kind, m.To, m.Data = MailResetLink, u.Email, data
	s.sealMail(&m)
	return m, nil
}

// Delivery is the outcome of one delivery attempt of a mail.
type Delivery struct {
	Mail    Mail  // as it is to be written back
	SendErr error // nil when it was sent
	Dead    bool  // it will not be tried again
}

// RecordDeliveries writes mails back after delivery attempts together with,
// for reset emails, the audit event of each attempt, all in one
// transaction: the mail workers of a node record what they delivered
// meanwhile in one commit.
func (s *Service) RecordDeliveries(ctx context.Context, ds []Delivery) error {
	return s.store.InTx(ctx, func(tx Store) error {
		for _, d := range ds {
			if err := tx.UpdateMail(ctx, d.Mail); err != nil {
				return err
			}
			if d.Mail.Kind != MailResetLink {
				continue
			}
			typ, detail := "reset_sent", ""
			switch {
			case d.SendErr == nil:
			case d.Dead:
				typ, detail = "reset_delivery_failed", "gave up"
			default:
				typ, detail = "reset_delivery_failed", "will retry"
			}
			c := Client{IP: d.Mail.Data["ip"], UserAgent: d.Mail.Data["user_agent"]}
			uid, _ := strconv.ParseInt(d.Mail.Data["user_id"], 10, 64) // 0 for mail queued before it was kept
			if err := s.event(ctx, tx, typ, uid, d.Mail.To, c, detail); err != nil {
				return err
			}
		}
		return nil
	})
}

// usableReset looks up a reset token and its user and says why it cannot be
// used, if it cannot. The reason is for the audit log only: the client sees
// invalid or expired, never which account the token belonged to.
func (s *Service) usableReset(ctx context.Context, st Store, raw string) (ResetToken, User, string, error) {
	if !validSecretHex(raw) {
		return ResetToken{}, User{}, "malformed", errResetInvalid
	}
	rt, err := st.ResetTokenByHash(ctx, HashSecret(raw))
	if isNotFound(err) {
		return rt, User{}, "unknown", errResetInvalid
	}
	if err != nil {
		return rt, User{}, "", wrapStore(err)
	}
	u, err := st.UserByID(ctx, rt.UserID)
	if err != nil && !isNotFound(err) {
		return rt, u, "", wrapStore(err)
	}
	switch {
	case err != nil || u.Deleted():
		return rt, u, "account gone", errResetInvalid
	case !rt.UsedAt.IsZero():
		return rt, u, "used", errResetInvalid
	case !rt.VoidedAt.IsZero():
		return rt, u, "voided", errResetInvalid
	case rt.CreatedAt.Before(u.PasswordChangedAt) || rt.CreatedAt.Before(u.EmailChangedAt):
		return rt, u, "issued before a password or email change", errResetInvalid
	case !s.clock().Before(rt.ExpiresAt):
		return rt, u, "expired", errResetExpired
	}
	return rt, u, "", nil
}

// rejectReset records why a token was refused and returns the client error.
func (s *Service) rejectReset(ctx context.Context, u User, reason string, err error, c Client) error {
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != KindInvalid {
		return err
	}
	typ := "reset_rejected"
	if ae.Code == "expired" {
		typ = "reset_expired"
	}
	s.bestEffortEvent(ctx, typ, u.ID, u.Email, c, reason)
	return err
}

// CheckReset reports whether a reset token is usable, consuming nothing.
func (s *Service) CheckReset(ctx context.Context, raw string, c Client) error {
	_, u, reason, err := s.usableReset(ctx, s.store, raw)
	if err != nil {
		return s.rejectReset(ctx, u, reason, err, c)
	}
	s.bestEffortEvent(ctx, "reset_checked", u.ID, u.Email, c, "")
	return nil
}

// CancelReset voids a reset token ("this wasn't me").
func (s *Service) CancelReset(ctx context.Context, raw string, c Client) error {
	rt, u, reason, err := s.usableReset(ctx, s.store, raw)
	if err != nil {
		return s.rejectReset(ctx, u, reason, err, c)
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.VoidResetToken(ctx, rt.ID, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "reset_cancelled", u.ID, u.Email, c, "")
	})
	if isNotFound(err) {
		return errResetInvalid
	}
	return wrapStore(err)
}

// CompleteReset sets a new password with a reset token and returns a new
// login token. In one transaction it marks the token used (exactly one of
// concurrent callers wins), voids the other reset tokens, revokes every
// previous token, marks the email verified and queues the notice.
func (s *Service) CompleteReset(ctx context.Context, raw, pw string, c Client) (string, error) {
	rt, u, reason, tokErr := s.usableReset(ctx, s.store, raw)
	var fields []FieldError
	if tokErr != nil {
		var ae *Error
		if !errors.As(tokErr, &ae) || ae.Kind != KindInvalid {
			return "", tokErr
		}
		fields = append(fields, ae.Fields...)
		_ = s.rejectReset(ctx, u, reason, tokErr, c)
		u = User{} // never check similarity against an account the token does not open
	}
	fields = append(fields, s.checkPassword(ctx, "password", pw, u.Email)...)
	if len(fields) > 0 {
		return "", InvalidFields(fields)
	}
	// Only the stored hash can tell a reused password: verify it in the
	// same slot as the new hash (hashNew).
	hash, same, err := s.hashNew(ctx, byIP(c), pw, u.PasswordHash)
	if err != nil {
		return "", err
	}
	if same {
		// A concurrent complete may have set this very password since the
		// token was read: then the used token is the reason, not the password.
		if _, _, reason, err := s.usableReset(ctx, s.store, raw); err != nil {
			return "", s.rejectReset(ctx, u, reason, err, c)
		}
		// The link stays usable, so this answer confirms a guess of the
		// current password. One guess per link at most (a wrong guess sets
		// the password and uses the link up), but leave a trace.
		s.bestEffortEvent(ctx, "reset_rejected", u.ID, u.Email, c, "password unchanged")
		return "", errPasswordUnchanged("password")
	}
	kinds := []TokenKind{TokenLogin, TokenAPIKey}
	if s.cfg.KeepAPIKeysOnReset {
		kinds = kinds[:1]
	}
	var token string
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UseResetToken(ctx, rt.ID, now); isNotFound(err) {
			return errResetRaced
		} else if err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, hash, 0, kinds, now, c, "reset_completed"); err != nil {
			return err
		}
		if err := tx.SetEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		token, _, err = s.mintLoginToken(ctx, tx, u, c, signInResetLink)
		return err
	})
	if errors.Is(err, errResetRaced) {
		return "", s.rejectReset(ctx, u, "used concurrently", errResetInvalid, c)
	}
	if err != nil {
		return "", wrapStore(err)
	}
	s.wake()
	return token, nil
}

// errResetRaced is what UseResetToken's "no such unused token" means inside
// CompleteReset: another request used the token since it was checked. Any
// other not-found in that transaction is a fault, not a used link.
var errResetRaced = errors.New("reset token used concurrently")
