package account

import "context"

// Operator is who performs an operator action: a command of the command
// line or the admin API (docs/api.md#admin-api). Both call the functions of this file
// and of operator.go and suspension.go, so they cannot drift apart; the
// audit event of each action names Via.
type Operator struct {
	// Via is the command ("accountd user suspend") or "admin API".
	Via string
	// IP is the admin API client's address; "" for the command line.
	IP string
}

// client is the Client an operator action is recorded with.
func (op Operator) client() Client {
	ip := "operator"
	if op.IP != "" {
		ip = "operator " + op.IP
	}
	return Client{IP: ip, UserAgent: op.Via}
}

var errNoActiveAccount = &Error{Kind: KindNotFound, Code: "not_found", Message: "No active account has that email address."}

var errNoSuchAccount = &Error{Kind: KindNotFound, Code: "not_found", Message: "Not found."}

// FindUser returns the account with the address, deleted or not, for an
// operator; not_found when none has it.
func (s *Service) FindUser(ctx context.Context, email string) (User, error) {
	u, err := s.store.UserByEmailKey(ctx, EmailKey(email))
	if isNotFound(err) {
		return User{}, errNoActiveAccount
	}
	return u, wrapStore(err)
}

// activeUser returns the account id unless it is unknown or deleted.
func (s *Service) activeUser(ctx context.Context, id int64) (User, error) {
	u, err := s.store.UserByID(ctx, id)
	if isNotFound(err) || err == nil && u.Deleted() {
		return User{}, errNoSuchAccount
	}
	return u, wrapStore(err)
}

// UserDetail is an account as an operator sees it: never a password hash,
// a token, a key or a TOTP secret, only what exists and how many.
type UserDetail struct {
	User
	// TwoFactorMethod is the active method's type.
	TwoFactorMethod string
	// LoginTokens counts the live sessions, APIKeys the valid API keys,
	// RecoveryCodes the unused recovery codes.
	LoginTokens, APIKeys, RecoveryCodes int
	// SocialIdentities are the sign-in providers' identities linked to it.
	SocialIdentities []SocialIdentity
}

// UserDetail returns the account id with its counts, deleted or not.
func (s *Service) UserDetail(ctx context.Context, id int64) (UserDetail, error) {
	u, err := s.store.UserByID(ctx, id)
	if isNotFound(err) {
		return UserDetail{}, errNoSuchAccount
	}
	if err != nil {
		return UserDetail{}, wrapStore(err)
	}
	d := UserDetail{User: u}
	m, err := activeMethod(ctx, s.store, u)
	if err != nil {
		return UserDetail{}, wrapStore(err)
	}
	d.TwoFactorMethod = m.Type
	createdAfter, usedAfter := s.liveBounds(s.clock())
	if _, d.LoginTokens, err = s.store.LoginTokens(ctx, u.ID, createdAfter, usedAfter, 0, 0); err != nil {
		return UserDetail{}, wrapStore(err)
	}
	if _, d.APIKeys, err = s.store.APIKeys(ctx, u.ID, 0, 0); err != nil {
		return UserDetail{}, wrapStore(err)
	}
	if d.RecoveryCodes, err = s.store.CountRecoveryCodes(ctx, u.ID); err != nil {
		return UserDetail{}, wrapStore(err)
	}
	if d.SocialIdentities, err = s.store.SocialIdentities(ctx, u.ID); err != nil {
		return UserDetail{}, wrapStore(err)
	}
	return d, nil
}

// ViewUser is UserDetail for an operator looking at the account (`accountd
// user show`, GET /admin/v1/users/{id}/): the look is audited, as support
// staff reading an account is something its owner may ask about.
func (s *Service) ViewUser(ctx context.Context, id int64, op Operator) (UserDetail, error) {
	d, err := s.UserDetail(ctx, id)
	if err != nil {
		return UserDetail{}, err
	}
	if err := s.event(ctx, s.store, "account_viewed_by_operator", d.ID, d.Email, op.client(), ""); err != nil {
		return UserDetail{}, wrapStore(err)
	}
	return d, nil
}

// SearchUsers lists the accounts whose normalised address starts with the
// normalised prefix, by id, a page at a time, and counts them.
func (s *Service) SearchUsers(ctx context.Context, emailPrefix string, offset, limit int) ([]User, int, error) {
	users, n, err := s.store.SearchUsers(ctx, EmailKey(emailPrefix), offset, limit)
	return users, n, wrapStore(err)
}

// SetStaff grants (or revokes) the account's staff mark: with
// ACCOUNTD_FEDERATED_ACCESS on, its verified credentials may act as other
// accounts (docs/api.md#suspension-staff-and-federated-access).
func (s *Service) SetStaff(ctx context.Context, id int64, staff bool, op Operator) (User, error) {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	typ := map[bool]string{true: "staff_granted", false: "staff_revoked"}[staff]
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.SetStaff(ctx, u.ID, staff, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, typ, u.ID, u.Email, op.client(), "")
	})
	if err != nil {
		return User{}, wrapStore(err)
	}
	u.Staff = staff
	return u, nil
}

// RevokeAllTokens revokes every login token and API key of the account id
// (a stolen laptop: docs/operations.md). Whoever holds one is signed out;
// the owner signs in again with the password, or a reset link.
func (s *Service) RevokeAllTokens(ctx context.Context, id int64, op Operator) (User, error) {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.RevokeTokens(ctx, u.ID, 0, []TokenKind{TokenLogin, TokenAPIKey}, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "tokens_revoked_by_operator", u.ID, u.Email, op.client(), "login tokens and API keys")
	})
	return u, wrapStore(err)
}

// DeleteUser marks the account id deleted for an operator, as the owner's
// own deletion does (docs/api.md#delete-account) but without the password: its tokens answer
// 403 account_deleted and the purge erases it after the grace period.
func (s *Service) DeleteUser(ctx context.Context, id int64, op Operator) error {
	u, err := s.activeUser(ctx, id)
	if err != nil {
		return err
	}
	return s.markDeleted(ctx, u, op.client(), "account_deleted_by_operator", "")
}

// AuditTrail returns a page of the audit events f selects, newest first,
// and counts them all.
func (s *Service) AuditTrail(ctx context.Context, f EventFilter) ([]Event, int, error) {
	n, err := s.store.CountEvents(ctx, f)
	if err != nil {
		return nil, 0, wrapStore(err)
	}
	if f.Limit <= 0 {
		return nil, n, nil
	}
	ev, err := s.store.Events(ctx, f)
	return ev, n, wrapStore(err)
}

// AuditFilterFor selects one account's whole history, as `accountd audit
// -account` does: the account's events and those of its current address.
func (s *Service) AuditFilterFor(ctx context.Context, id int64) (EventFilter, error) {
	f := EventFilter{UserID: id}
	u, err := s.store.UserByID(ctx, id)
	switch {
	case err == nil:
		f.EmailKey = u.EmailKey
	case !isNotFound(err):
		return f, wrapStore(err)
	}
	return f, nil
}
