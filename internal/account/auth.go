package account

import (
	"context"
	"errors"
	"strings"
	"time"
)

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
// instead and existing is true (SPEC §4.2).
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
		err := s.passwordAttempt(ctx, loginKey(key, c), ErrBadCredentials, func() (err error) {
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
		if token, _, err = s.issueToken(ctx, tx, u.ID, TokenLogin, ""); err != nil {
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

// Login checks an email and password and returns a new login token. A wrong
// password, an unknown or a deleted address give the same error after the
// same hashing work (SPEC §4.2).
//
// The attempt is taken from the failure budget of the typed address and the
// client's network before anything is looked up or hashed, so an unknown and
// a known address answer alike when locked.
func (s *Service) Login(ctx context.Context, email, pw string, c Client) (token string, err error) {
	key := EmailKey(strings.TrimSpace(email))
	err = s.passwordAttempt(ctx, loginKey(key, c), ErrBadCredentials, func() (err error) {
		token, err = s.login(ctx, key, pw, c)
		return err
	})
	return token, err
}

// login is Login within the failure budget.
func (s *Service) login(ctx context.Context, key, pw string, c Client) (string, error) {
	u, err := s.store.UserByEmailKey(ctx, key)
	if err != nil && !isNotFound(err) {
		return "", wrapStore(err)
	}
	if err != nil || u.Deleted() {
		if werr := s.hashing(ctx, byIP(c), func() { s.hasher.VerifyDummy(pw) }); werr != nil {
			return "", werr
		}
		s.bestEffortEvent(ctx, "login_failed", 0, "", c, "unknown address")
		return "", ErrBadCredentials
	}
	return s.loginExisting(ctx, u, pw, c)
}

// loginExisting verifies the password of a known user, upgrades its hash when
// the parameters changed, and issues a token.
func (s *Service) loginExisting(ctx context.Context, u User, pw string, c Client) (string, error) {
	ok, rehash, err := s.verify(ctx, byIP(c), pw, u.PasswordHash)
	if err != nil {
		return "", err
	}
	if !ok {
		s.bestEffortEvent(ctx, "login_failed", u.ID, u.Email, c, "wrong password")
		return "", ErrBadCredentials
	}
	// Rehash before the transaction: argon2id must not hold the write lock.
	newHash := ""
	if rehash {
		if newHash, err = s.hash(ctx, byIP(c), pw); err != nil {
			return "", err
		}
	}
	var token string
	now := s.clock()
	err = s.store.InTx(ctx, func(tx Store) error {
		if newHash != "" {
			if err := tx.RehashPassword(ctx, u.ID, newHash); err != nil {
				return err
			}
		}
		if err := tx.SetLastLogin(ctx, u.ID, now); err != nil {
			return err
		}
		token, _, err = s.issueToken(ctx, tx, u.ID, TokenLogin, "")
		if err != nil {
			return err
		}
		return s.event(ctx, tx, "login", u.ID, u.Email, c, "")
	})
	return token, wrapStore(err)
}

// Authenticate returns the valid token and its user for a raw token value.
func (s *Service) Authenticate(ctx context.Context, raw string) (Token, User, error) {
	if !validToken(raw) {
		return Token{}, User{}, ErrInvalidToken
	}
	t, err := s.store.TokenByHash(ctx, HashSecret(raw))
	if isNotFound(err) || err == nil && !t.RevokedAt.IsZero() {
		return Token{}, User{}, ErrInvalidToken
	}
	if err != nil {
		return Token{}, User{}, wrapStore(err)
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if isNotFound(err) {
		return Token{}, User{}, ErrInvalidToken
	}
	if err != nil {
		return Token{}, User{}, wrapStore(err)
	}
	if u.Deleted() {
		return Token{}, User{}, ErrAccountDeleted
	}
	return t, u, nil
}

// Logout revokes the token used.
func (s *Service) Logout(ctx context.Context, t Token, u User, c Client) error {
	if err := LoginTokenOnly.Permit(t); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.RevokeToken(ctx, t.ID, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "logout", u.ID, u.Email, c, "")
	})
	return wrapStore(err)
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

// formatMailTime formats a time for people reading an email, in a form that
// reads the same in every language of the templates.
func formatMailTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
