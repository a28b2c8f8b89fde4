package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// TokenKind says what a credential is: a login token or an API key.
type TokenKind string

// Token kinds.
const (
	TokenLogin  TokenKind = "login"
	TokenAPIKey TokenKind = "apikey"
)

// Credentials says which kinds of token an operation accepts. The route
// table of web declares one per route; the operations that manage the
// account's credentials check it again here.
type Credentials int

const (
	// AnyToken accepts a login token or an API key: using the account.
	AnyToken Credentials = iota
	// LoginTokenOnly refuses API keys: managing the account's password,
	// address, API keys, sessions and mail (docs/api.md). An API key lives
	// in scripts and configuration; one that leaks must not take the
	// account over or make it send mail.
	LoginTokenOnly
)

// ErrAPIKeyNotAllowed answers an API key on an operation for login tokens
// (docs/api.md#api-keys).
var ErrAPIKeyNotAllowed = &Error{Kind: KindForbidden, Code: "api_key_not_allowed",
	Message: "Cannot query this API endpoint with an API key."}

// Permit returns ErrAPIKeyNotAllowed when c does not accept t's kind.
func (c Credentials) Permit(t Token) error {
	if c == LoginTokenOnly && t.Kind != TokenLogin {
		return ErrAPIKeyNotAllowed
	}
	return nil
}

// Token is a login token or API key. Only the SHA-256 of its value is stored.
type Token struct {
	ID     int64
	UserID int64
	Kind   TokenKind
	Hash   []byte
	Label  string
	// Prefix is the first 4 characters of an API key, shown masked.
	Prefix    string
	CreatedAt time.Time
	UpdatedAt time.Time
	RevokedAt time.Time // zero while valid
	// LastUsedAt is the last recorded use, at most a minute behind
	// (touchEvery); a login token is minted used. Zero for tokens minted
	// before sessions were recorded.
	LastUsedAt time.Time
	// IP and UserAgent are the client that signed in (login tokens only),
	// for the list of sessions.
	IP        string
	UserAgent string
	// TwoFactorPending: a login token that has not passed its second factor
	// yet (docs/api.md#two-factor-authentication). API keys are never pending.
	TwoFactorPending bool
}

// tokenAlphabet is the character set of tokens (docs/api.md#conventions: [a-z0-9]).
const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// TokenLength is the length of a login token or API key.
const TokenLength = 40

// NewToken returns a fresh 40-character token from the CSPRNG.
func NewToken() string {
	// 36 does not divide 256: reject bytes >= 252 (7*36) to keep every
	// character equally likely.
	out := make([]byte, 0, TokenLength)
	buf := make([]byte, 64)
	for len(out) < TokenLength {
		rand.Read(buf) // never fails (crypto/rand panics the process if it cannot read)
		for _, b := range buf {
			if b < 252 && len(out) < TokenLength {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out)
}

// NewSecretHex returns 32 random bytes in lower-case hex: the form of reset
// tokens and confirmation codes.
func NewSecretHex() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// HashSecret returns the SHA-256 of a token, the only form that is stored.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// validToken reports whether s has the shape of a token, so malformed
// values are rejected before any lookup.
func validToken(s string) bool {
	if len(s) != TokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validSecretHex reports whether s looks like a 64-character lower-case hex
// secret.
func validSecretHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Login checks an email and password and returns a new login token. A wrong
// password, an unknown or a deleted address give the same error after the
// same hashing work (docs/api.md#register-and-login).
//
// The attempt is taken from the failure budget of the typed address and the
// client's network before anything is looked up or hashed, so an unknown and
// a known address answer alike when locked.
func (s *Service) Login(ctx context.Context, email, pw string, c Client) (token string, err error) {
	key := EmailKey(strings.TrimSpace(email))
	err = s.signInAttempt(ctx, key, c, func() (err error) {
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
		token, _, err = s.mintLoginToken(ctx, tx, u, c, signInPassword)
		if err != nil {
			return err
		}
		return s.event(ctx, tx, "login", u.ID, u.Email, c, "")
	})
	if err != nil {
		return "", wrapStore(err)
	}
	s.wake() // an email code or a sign-in notice may have been queued
	return token, nil
}

// Authenticate returns the valid token and its user for a raw token value.
func (s *Service) Authenticate(ctx context.Context, raw string) (Token, User, error) {
	if !validToken(raw) {
		return Token{}, User{}, ErrInvalidToken
	}
	return s.authenticateHash(ctx, HashSecret(raw))
}

// authenticateHash is Authenticate for the hash of a token.
func (s *Service) authenticateHash(ctx context.Context, hash []byte) (Token, User, error) {
	t, err := s.store.TokenByHash(ctx, hash)
	now := s.clock()
	if isNotFound(err) || err == nil && (!t.RevokedAt.IsZero() || s.expired(t, now)) {
		return Token{}, User{}, ErrInvalidToken
	}
	if err != nil {
		return Token{}, User{}, wrapStore(err)
	}
	if err := s.touch(ctx, &t, now); err != nil {
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

// Sessions (docs/api.md#sessions): a session is a login token as its owner sees it.

const (
	// MaxLoginTokens is how many live login tokens an account may have;
	// minting one more revokes the oldest.
	MaxLoginTokens = 100
	// touchEvery is how often a token's use is written: a token used many
	// times a minute costs one write a minute, not one per request.
	touchEvery = time.Minute
	// MinTokenIdleTTL is the shortest idle lifetime that works: a use is
	// recorded once a touchEvery, so a shorter one would end tokens in use.
	MinTokenIdleTTL = 2 * touchEvery
)

// Two-factor states of a session.
const (
	TwoFactorPending  = "pending"
	TwoFactorVerified = "verified"
)

var errSessionNotFound = &Error{Kind: KindNotFound, Code: "not_found", Message: "Not found."}

// Session is a live login token with what its owner is shown about it.
type Session struct {
	Token
	// ExpiresAt is when the token ends unless used again; zero: never.
	ExpiresAt time.Time
	// TwoFactor is TwoFactorPending or TwoFactorVerified.
	TwoFactor string
	// Current is whether this is the token of the request.
	Current bool
}

// twoFactorState is the 2FA state of a login token.
func twoFactorState(t Token) string {
	if t.TwoFactorPending {
		return TwoFactorPending
	}
	return TwoFactorVerified
}

// mintLoginToken is the one function that issues login tokens: login,
// register (of a new or an existing account), reset complete and
// activation complete call it inside their transactions, saying how the
// first factor was shown (how), so that expiry, the client of the sign-in,
// the cap per account, the 2FA state and the sign-in notice cannot be
// forgotten by any path. The token starts pending when the account's
// active method is device_totp, whatever the first factor was: a reset or
// activation link proves the mailbox, never the device (docs/api.md#two-factor-authentication); on
// email_code, as ACCOUNTD_EMAIL_2FA says (secondFactorFor). The oldest live
// tokens beyond MaxLoginTokens-1 are revoked first, in the same
// transaction; the user is locked so that concurrent sign-ins cannot pass
// the cap together.
func (s *Service) mintLoginToken(ctx context.Context, tx Store, u User, c Client, how signIn) (string, Token, error) {
	now := s.clock()
	if err := tx.LockUser(ctx, u.ID); err != nil {
		return "", Token{}, err
	}
	// The cap counts live tokens only: expired ones (revoked here too) must
	// not push out a session still in use (docs/api.md#sessions).
	createdAfter, usedAfter := s.liveBounds(now)
	n, err := tx.RevokeOldLoginTokens(ctx, u.ID, createdAfter, usedAfter, MaxLoginTokens-1, now)
	if err != nil {
		return "", Token{}, err
	}
	if n > 0 {
		if err := s.event(ctx, tx, "session_revoked", u.ID, u.Email, c, fmt.Sprintf("%d oldest live, over the cap", n)); err != nil {
			return "", Token{}, err
		}
	}
	device, err := s.knownDevice(ctx, tx, u.ID, c)
	if err != nil {
		return "", Token{}, err
	}
	pendingOn, err := s.secondFactorFor(ctx, tx, u, device, how, now)
	if err != nil {
		return "", Token{}, err
	}
	raw := NewToken()
	t := Token{UserID: u.ID, Kind: TokenLogin, Hash: HashSecret(raw), CreatedAt: now, LastUsedAt: now,
		IP: c.IP, UserAgent: truncate(c.UserAgent, 512), TwoFactorPending: pendingOn != ""}
	if err := tx.CreateToken(ctx, &t); err != nil {
		return "", Token{}, err
	}
	if err := s.afterSignIn(ctx, tx, u, t, c, device, how, pendingOn); err != nil {
		return "", Token{}, err
	}
	return raw, t, nil
}

// secondFactorFor returns the method a new token of u from device starts
// pending on, "" for a verified token.
func (s *Service) secondFactorFor(ctx context.Context, tx Store, u User, device SignInDevice, how signIn, now time.Time) (string, error) {
	m, err := activeMethod(ctx, tx, u)
	if err != nil {
		return "", err
	}
	switch {
	case m.Type == MethodDeviceTOTP:
		return MethodDeviceTOTP, nil
	case how.newAccount || how.provesMailbox:
		// A new account has nothing to protect yet; a link proved the
		// mailbox, which is what an email code would prove.
		return "", nil
	case s.emailPolicyChallenges(device, now):
		return MethodEmailCode, nil
	}
	return "", nil
}

// afterSignIn does what a new token's sign-in causes, in its transaction:
// the email code of a token pending on email_code, the "new sign-in"
// notice for a device not seen signing in for deviceMemory, and the
// device's record. The code email names the sign-in just as the notice
// would, so a token waiting for one gets no notice besides.
func (s *Service) afterSignIn(ctx context.Context, tx Store, u User, t Token, c Client, device SignInDevice, how signIn, pendingOn string) error {
	if pendingOn == MethodEmailCode {
		if err := s.sendEmailCode(ctx, tx, u, t, c, "at sign-in"); err != nil {
			return err
		}
	} else if how.notice && s.cfg.SignInNotice && !recent(device.SignedInAt, t.CreatedAt) {
		if err := s.queueSignInNotice(ctx, tx, u, t, c); err != nil {
			return err
		}
	}
	device.SignedInAt = t.CreatedAt
	if how.provesMailbox {
		device.PassedAt = t.CreatedAt
	}
	return s.saveDevice(ctx, tx, device, t.CreatedAt)
}

// lastUse is when the token was last used, or issued if never recorded.
func lastUse(t Token) time.Time {
	if t.LastUsedAt.IsZero() {
		return t.CreatedAt
	}
	return t.LastUsedAt
}

// expiresAt is when a login token ends: the earlier of its idle and
// absolute ends, each off when its setting is 0. Zero: never (API keys).
func (s *Service) expiresAt(t Token) time.Time {
	if t.Kind != TokenLogin {
		return time.Time{}
	}
	var end time.Time
	if s.cfg.TokenIdleTTL > 0 {
		end = lastUse(t).Add(s.cfg.TokenIdleTTL)
	}
	if s.cfg.TokenMaxTTL > 0 {
		if abs := t.CreatedAt.Add(s.cfg.TokenMaxTTL); end.IsZero() || abs.Before(end) {
			end = abs
		}
	}
	return end
}

// expired reports whether t has ended at now.
func (s *Service) expired(t Token, now time.Time) bool {
	end := s.expiresAt(t)
	return !end.IsZero() && !now.Before(end)
}

// touch records the use of t at now, unless its recorded use is less than
// touchEvery old: then there is nothing to write. The store's condition
// makes concurrent requests of one token write once.
func (s *Service) touch(ctx context.Context, t *Token, now time.Time) error {
	if now.Sub(lastUse(*t)) < touchEvery {
		return nil
	}
	if err := s.store.TouchToken(ctx, t.ID, now, now.Add(-touchEvery)); err != nil {
		return err
	}
	t.LastUsedAt = now
	return nil
}

// liveBounds are the creation and use times after which a login token is
// still live at now (zero: no bound), for the store's list.
func (s *Service) liveBounds(now time.Time) (createdAfter, usedAfter time.Time) {
	if s.cfg.TokenMaxTTL > 0 {
		createdAfter = now.Add(-s.cfg.TokenMaxTTL)
	}
	if s.cfg.TokenIdleTTL > 0 {
		usedAfter = now.Add(-s.cfg.TokenIdleTTL)
	}
	return createdAfter, usedAfter
}

// Sessions lists the live login tokens of the token's account, newest
// first, a page at a time, and counts them. Only a login token may.
func (s *Service) Sessions(ctx context.Context, current Token, offset, limit int) ([]Session, int, error) {
	if err := LoginTokenOnly.Permit(current); err != nil {
		return nil, 0, err
	}
	createdAfter, usedAfter := s.liveBounds(s.clock())
	toks, n, err := s.store.LoginTokens(ctx, current.UserID, createdAfter, usedAfter, offset, limit)
	if err != nil {
		return nil, 0, wrapStore(err)
	}
	out := make([]Session, 0, len(toks))
	for _, t := range toks {
		out = append(out, Session{Token: t, ExpiresAt: s.expiresAt(t), TwoFactor: twoFactorState(t),
			Current: t.ID == current.ID})
	}
	return out, n, nil
}

// RevokeSession revokes one login token of the account (the current one
// too: that is a logout). Another account's token, or an API key, is not
// found.
func (s *Service) RevokeSession(ctx context.Context, current Token, u User, id int64, c Client) error {
	if err := LoginTokenOnly.Permit(current); err != nil {
		return err
	}
	if _, err := s.store.LoginToken(ctx, u.ID, id); isNotFound(err) {
		return errSessionNotFound
	} else if err != nil {
		return wrapStore(err)
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.RevokeToken(ctx, id, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "session_revoked", u.ID, u.Email, c, fmt.Sprintf("session %d", id))
	})
	return wrapStore(err)
}

// RevokeOtherSessions revokes every login token of the account but the
// current one. API keys stay: they are not sessions.
func (s *Service) RevokeOtherSessions(ctx context.Context, current Token, u User, c Client) error {
	if err := LoginTokenOnly.Permit(current); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.RevokeTokens(ctx, u.ID, current.ID, []TokenKind{TokenLogin}, s.clock()); err != nil {
			return err
		}
		return s.event(ctx, tx, "sessions_revoked", u.ID, u.Email, c, "all but the current one")
	})
	return wrapStore(err)
}
