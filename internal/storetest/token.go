package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// createToken stores a valid token of the given kind for user and returns
// it with its ID; secret makes its hash unique. An API key has a prefix and
// an update time, as the service makes them; a login token has neither.
func createToken(t *testing.T, s account.Store, user int64, kind account.TokenKind, secret string) account.Token {
	t.Helper()
	tok := account.Token{UserID: user, Kind: kind, Hash: account.HashSecret(secret),
		Label: "label " + secret, CreatedAt: at(-time.Hour).In(elsewhere)}
	if kind == account.TokenAPIKey {
		tok.Prefix = (secret + "____")[:4]
		tok.UpdatedAt = at(-30 * time.Minute).In(elsewhere)
	}
	noErr(t, fmt.Sprintf("CreateToken(%q)", secret), s.CreateToken(t.Context(), &tok))
	if tok.ID == 0 {
		t.Fatalf("CreateToken(%q) left ID = 0, want it set", secret)
	}
	return tok
}

// tokenByHash returns the stored token or stops the test.
func tokenByHash(t *testing.T, s account.Store, hash []byte) account.Token {
	t.Helper()
	tok, err := s.TokenByHash(t.Context(), hash)
	noErr(t, fmt.Sprintf("TokenByHash(%x)", hash), err)
	utc(t, fmt.Sprintf("TokenByHash(%x)", hash), tok.CreatedAt, tok.UpdatedAt, tok.RevokedAt)
	return tok
}

// checkTokens compares the stored state of each token with want.
func checkTokens(t *testing.T, s account.Store, call string, want ...account.Token) {
	t.Helper()
	for _, w := range want {
		diff(t, fmt.Sprintf("TokenByHash(%x) after %s", w.Hash, call), tokenByHash(t, s, w.Hash), w)
	}
}

var tokenTests = []test{
	{"CreateAndByHash", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		login := createToken(t, s, u.ID, account.TokenLogin, "a")
		key := createToken(t, s, u.ID, account.TokenAPIKey, "b")
		if login.ID == key.ID {
			t.Errorf("CreateToken gave both tokens ID %d, want distinct IDs", key.ID)
		}
		checkTokens(t, s, "CreateToken", login, key)
		if got := tokenByHash(t, s, key.Hash); !got.RevokedAt.IsZero() {
			t.Errorf("TokenByHash(%x).RevokedAt = %v, want zero", key.Hash, got.RevokedAt)
		}
	}},
	{"UnknownHashIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createToken(t, s, u.ID, account.TokenLogin, "a")
		hash := account.HashSecret("b")
		_, err := s.TokenByHash(t.Context(), hash)
		wantErr(t, fmt.Sprintf("TokenByHash(%x)", hash), err, account.ErrNotFound)
	}},
	{"DuplicateHashConflicts", func(t *testing.T, s account.Store) {
		a, b := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		first := createToken(t, s, a.ID, account.TokenLogin, "a")
		dup := account.Token{UserID: b.ID, Kind: account.TokenAPIKey, Hash: first.Hash, CreatedAt: base}
		err := s.CreateToken(t.Context(), &dup)
		wantErr(t, fmt.Sprintf("CreateToken(%x) again", first.Hash), err, account.ErrConflict)
		checkTokens(t, s, "the conflict", first)
	}},
	{"RevokeToken", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		tok := createToken(t, s, u.ID, account.TokenLogin, "a")
		other := createToken(t, s, u.ID, account.TokenLogin, "b")
		when := at(0).In(elsewhere)
		noErr(t, fmt.Sprintf("RevokeToken(%d)", tok.ID), s.RevokeToken(t.Context(), tok.ID, when))
		tok.RevokedAt = when
		checkTokens(t, s, "RevokeToken", tok, other)
	}},
	{"RevokeTokensKeepsOneAndOtherKinds", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		login1 := createToken(t, s, u.ID, account.TokenLogin, "login1")
		keep := createToken(t, s, u.ID, account.TokenLogin, "keep")
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		old := createToken(t, s, u.ID, account.TokenLogin, "old")
		theirs := createToken(t, s, v.ID, account.TokenLogin, "theirs")
		noErr(t, "RevokeToken(old)", s.RevokeToken(t.Context(), old.ID, at(-time.Minute)))
		old.RevokedAt = at(-time.Minute)

		call := fmt.Sprintf("RevokeTokens(%d, keep %d, [login])", u.ID, keep.ID)
		noErr(t, call, s.RevokeTokens(t.Context(), u.ID, keep.ID, []account.TokenKind{account.TokenLogin}, base))
		login1.RevokedAt = base // old keeps the time it was first revoked
		checkTokens(t, s, call, login1, keep, key, old, theirs)

		call = fmt.Sprintf("RevokeTokens(%d, keep 0, [login apikey])", u.ID)
		kinds := []account.TokenKind{account.TokenLogin, account.TokenAPIKey}
		noErr(t, call, s.RevokeTokens(t.Context(), u.ID, 0, kinds, at(time.Minute)))
		keep.RevokedAt, key.RevokedAt = at(time.Minute), at(time.Minute)
		checkTokens(t, s, call, login1, keep, key, old, theirs)
	}},
	{"RevokeTokensOnlyGivenKinds", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		login := createToken(t, s, u.ID, account.TokenLogin, "login")
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		call := fmt.Sprintf("RevokeTokens(%d, keep 0, [apikey])", u.ID)
		noErr(t, call, s.RevokeTokens(t.Context(), u.ID, 0, []account.TokenKind{account.TokenAPIKey}, base))
		key.RevokedAt = base
		checkTokens(t, s, call, login, key)
	}},
	{"RevokeTokensWithNothingToRevoke", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		call := fmt.Sprintf("RevokeTokens(%d, keep 0, [login])", u.ID)
		noErr(t, call, s.RevokeTokens(t.Context(), u.ID, 0, []account.TokenKind{account.TokenLogin}, base))
	}},
}
