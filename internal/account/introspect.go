package account

import (
	"context"
	"time"
)

// Principal is whose a credential is, as forward auth (/auth/verify) and
// token introspection report it to other services.
type Principal struct {
	User  User
	Token Token
	// TwoFactor: a login token of an account whose second factor is an
	// authenticator app. Every such token has passed a TOTP or recovery
	// code (they all start pending; the one that activated TOTP gave two
	// codes). False for API keys, which are never challenged.
	TwoFactor bool
	// ExpiresAt is when the token ends if unused or at the latest (the
	// earlier); zero when it does not expire (API keys, lifetimes off).
	ExpiresAt time.Time
}

// Introspect decides whether raw is a credential every endpoint of the API
// would accept, and whose: a valid token, not expired, of an account
// neither deleted nor suspended, and past its second factor. The errors
// are Authenticate's, ErrTwoFactorNeeded for a pending token and
// ErrAccountSuspended, in the API's order (docs/api.md, "Order of the
// checks"). A use is recorded as by any
// request (at most once a minute per token).
func (s *Service) Introspect(ctx context.Context, raw string) (Principal, error) {
	t, u, err := s.Authenticate(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	if t.TwoFactorPending {
		return Principal{}, ErrTwoFactorNeeded
	}
	if err := AdmitSuspended(u, false); err != nil {
		return Principal{}, err
	}
	p := Principal{User: u, Token: t, ExpiresAt: s.expiresAt(t)}
	if t.Kind == TokenLogin {
		m, err := activeMethod(ctx, s.store, u)
		if err != nil {
			return Principal{}, wrapStore(err)
		}
		p.TwoFactor = m.Type == MethodDeviceTOTP
	}
	return p, nil
}
