package account

import (
	"context"
	"strconv"
	"time"
)

// Activation is an email verification token. Only its SHA-256 is stored.
type Activation struct {
	ID        int64
	UserID    int64
	Hash      []byte
	Email     string // the address it was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	VoidedAt  time.Time // zero unless voided (password changed or reset, address changed)
}

// activationTTL is how long an activation link works (docs/api.md#activation).
const activationTTL = 72 * time.Hour

// MailActivation is the email verification email.
const MailActivation = "activation"

var (
	errActivationInvalid = Invalid("activation_token", "invalid", "Invalid activation token.")
	errActivationExpired = Invalid("activation_token", "expired", "The activation token has expired.")
)

// ActivationStatus is the status object of docs/api.md#activation.
type ActivationStatus struct {
	Verified  bool
	LastSent  time.Time // zero when never
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Activation returns the user's activation status.
func (s *Service) Activation(u User) ActivationStatus {
	return ActivationStatus{Verified: u.EmailVerified, LastSent: u.ActivationSentAt,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// queueActivation creates an activation token and queues its email, within
// tx, and records when it was sent.
func (s *Service) queueActivation(ctx context.Context, tx Store, u User, c Client, now time.Time) error {
	raw := NewSecretHex()
	a := Activation{UserID: u.ID, Hash: HashSecret(raw), Email: u.Email, CreatedAt: now,
		ExpiresAt: now.Add(activationTTL)}
	if err := tx.CreateActivation(ctx, &a); err != nil {
		return err
	}
	m := s.newMail(MailActivation, u.Email, c, map[string]string{
		"email": u.Email, "token": raw, "link": s.cfg.DashboardURL + "/activation/" + raw + "/confirm/",
		"expires_at": formatMailTime(a.ExpiresAt),
	})
	if err := tx.EnqueueMail(ctx, m); err != nil {
		return err
	}
	return tx.SetActivationSent(ctx, u.ID, now)
}

// ResendActivation sends a new activation email, unless the address is
// already verified, and returns the status after it: at most one a minute
// and five a day per account (docs/api.md#activation), whatever the rate limits.
func (s *Service) ResendActivation(ctx context.Context, u User, c Client) (ActivationStatus, error) {
	if u.EmailVerified {
		return s.Activation(u), nil
	}
	id := strconv.FormatInt(u.ID, 10)
	if err := s.take(ctx, "activation:min:"+id, resendPerMinute); err != nil {
		return ActivationStatus{}, err
	}
	if err := s.take(ctx, "activation:day:"+id, resendPerDay); err != nil {
		return ActivationStatus{}, err
	}
	now := s.clock()
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := s.queueActivation(ctx, tx, u, c, now); err != nil {
			return err
		}
		return s.event(ctx, tx, "activation_sent", u.ID, u.Email, c, "resend")
	})
	if err != nil {
		return ActivationStatus{}, wrapStore(err)
	}
	s.wake()
	u.ActivationSentAt = now
	return s.Activation(u), nil
}

// CompleteActivation verifies the address with an activation token and
// returns a new login token; the account's other tokens stay valid.
func (s *Service) CompleteActivation(ctx context.Context, raw string, c Client) (string, error) {
	if !validSecretHex(raw) {
		return "", errActivationInvalid
	}
	a, err := s.store.ActivationByHash(ctx, HashSecret(raw))
	if isNotFound(err) {
		return "", errActivationInvalid
	}
	if err != nil {
		return "", wrapStore(err)
	}
	u, err := s.store.UserByID(ctx, a.UserID)
	switch {
	case isNotFound(err) || err == nil && u.Deleted():
		return "", errActivationInvalid
	case err != nil:
		return "", wrapStore(err)
	case !a.UsedAt.IsZero() || !a.VoidedAt.IsZero() || EmailKey(a.Email) != u.EmailKey ||
		a.CreatedAt.Before(u.PasswordChangedAt) || a.CreatedAt.Before(u.EmailChangedAt):
		// Used, voided, sent to an address the account no longer has, or
		// older than the password or the address: it yields a login token,
		// and a password change, reset or change of address ends every
		// older credential (an address changed away and back included,
		// issue 12 A10).
		return "", errActivationInvalid
	case !s.clock().Before(a.ExpiresAt):
		return "", errActivationExpired
	}
	var token string
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.UseActivation(ctx, a.ID, now); err != nil {
			return err
		}
		if err := tx.SetEmailVerified(ctx, u.ID, now); err != nil {
			return err
		}
		if token, _, err = s.mintLoginToken(ctx, tx, u, c, signInActivation); err != nil {
			return err
		}
		return s.event(ctx, tx, "activated", u.ID, u.Email, c, "")
	})
	if isNotFound(err) {
		return "", errActivationInvalid
	}
	return token, wrapStore(err)
}
