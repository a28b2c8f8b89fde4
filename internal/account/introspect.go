package account

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
// request (at most once a minute per token). An answer that admits the
// token may come from the principal cache (principalcache.go).
func (s *Service) Introspect(ctx context.Context, raw string) (Principal, error) {
	if !validToken(raw) {
		return Principal{}, ErrInvalidToken
	}
	return s.introspectHash(ctx, HashSecret(raw))
}

// maxTicketLength bounds what IntrospectTicket decodes: a ticket is 83
// characters (the 32-byte hash sealed: 62 bytes, base64url).
const maxTicketLength = 256

// forwardTicketAD binds a forward-auth ticket to its use.
var forwardTicketAD = []byte("forward-auth ticket")

// ForwardAuthTicket returns the forward-auth ticket of a login token: its
// hash sealed under ACCOUNTD_SECRET_KEY, base64url. The pages put it in a
// cookie of the apps' domain (ACCOUNTD_COOKIE_DOMAIN) for forward auth,
// which IntrospectTicket reads. A ticket is not a token: every endpoint of
// the API refuses it, so the apps on that domain, which receive the cookie,
// learn who the user is but cannot act as them; and the database alone,
// which holds the hash, does not make one.
func (s *Service) ForwardAuthTicket(raw string) string {
	return base64.RawURLEncoding.EncodeToString(s.cfg.Secrets.Seal(HashSecret(raw), forwardTicketAD))
}

// IntrospectTicket is Introspect for a forward-auth ticket: the same answer
// as for the token it was made from, while that token lives. A ticket that
// does not open (made up, altered, sealed under a retired key) is
// ErrInvalidToken.
func (s *Service) IntrospectTicket(ctx context.Context, ticket string) (Principal, error) {
	if len(ticket) > maxTicketLength {
		return Principal{}, ErrInvalidToken
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ticket)
	if err != nil {
		return Principal{}, ErrInvalidToken
	}
	hash, err := s.cfg.Secrets.Open(sealed, forwardTicketAD)
	if err != nil || len(hash) != sha256.Size {
		return Principal{}, ErrInvalidToken
	}
	p, err := s.introspectHash(ctx, hash)
	if err != nil {
		return Principal{}, err
	}
	if p.Token.Kind != TokenLogin {
		return Principal{}, ErrInvalidToken
	}
	return p, nil
}

// introspectHash is Introspect for the hash of a token: from the principal
// cache while the answer there is good, else from the store.
func (s *Service) introspectHash(ctx context.Context, hash []byte) (Principal, error) {
	now := s.clock()
	if p, ok := s.principals.get(hash, now); ok && !s.expired(p.Token, now) && now.Sub(lastUse(p.Token)) < touchEvery {
		return p, nil
	}
	// The generation is read before the store: a write committed while
	// loading makes this answer one that is never served.
	gen := s.principals.generation()
	t, u, err := s.authenticateHash(ctx, hash)
	if err != nil {
		return Principal{}, err
	}
	p, err := s.principal(ctx, t, u)
	if err != nil {
		return Principal{}, err
	}
	s.principals.put(hash, p, now, gen)
	return p, nil
}

// principal applies the rules past the token's own (pending, suspended)
// and says whose it is.
func (s *Service) principal(ctx context.Context, t Token, u User) (Principal, error) {
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
