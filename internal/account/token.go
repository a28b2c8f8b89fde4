package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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
// (SPEC §4.8).
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
}

// tokenAlphabet is the character set of tokens (SPEC §1: [a-z0-9]).
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
