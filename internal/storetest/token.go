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
	} else {
		tok.LastUsedAt = tok.CreatedAt
		tok.IP, tok.UserAgent = "192.0.2.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 "+secret
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
	utc(t, fmt.Sprintf("TokenByHash(%x)", hash), tok.CreatedAt, tok.UpdatedAt, tok.RevokedAt, tok.LastUsedAt)
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

// The sessions of docs/api.md#sessions: last use, the list of live login tokens, the
// cap per account.
var sessionTests = []test{
	{"TouchTokenWritesOnlyAStaleUse", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		tok := createToken(t, s, u.ID, account.TokenLogin, "a") // used at(-1h)
		call := "TouchToken(at(0), stale before at(-2h))"
		noErr(t, call, s.TouchToken(t.Context(), tok.ID, at(0), at(-2*time.Hour)))
		checkTokens(t, s, call+": the recorded use is newer", tok)
		call = "TouchToken(at(0), stale before at(-1m))"
		noErr(t, call, s.TouchToken(t.Context(), tok.ID, at(0).In(elsewhere), at(-time.Minute)))
		tok.LastUsedAt = at(0)
		checkTokens(t, s, call, tok)
		call = "TouchToken(at(1m), stale before at(0), the recorded use)"
		noErr(t, call, s.TouchToken(t.Context(), tok.ID, at(time.Minute), at(0)))
		tok.LastUsedAt = at(time.Minute)
		checkTokens(t, s, call, tok)
	}},
	{"TouchTokenOfANeverUsedToken", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		tok := account.Token{UserID: u.ID, Kind: account.TokenLogin, Hash: account.HashSecret("a"), CreatedAt: at(-time.Hour)}
		noErr(t, "CreateToken", s.CreateToken(t.Context(), &tok))
		noErr(t, "TouchToken", s.TouchToken(t.Context(), tok.ID, at(0), at(-time.Minute)))
		tok.LastUsedAt = at(0)
		checkTokens(t, s, "TouchToken", tok)
	}},
	{"LoginTokensNewestFirstLiveOnly", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		a := createToken(t, s, u.ID, account.TokenLogin, "a")
		createToken(t, s, u.ID, account.TokenAPIKey, "key")
		revoked := createToken(t, s, u.ID, account.TokenLogin, "revoked")
		noErr(t, "RevokeToken", s.RevokeToken(t.Context(), revoked.ID, base))
		createToken(t, s, v.ID, account.TokenLogin, "theirs")
		b := createToken(t, s, u.ID, account.TokenLogin, "b")
		got, n, err := s.LoginTokens(t.Context(), u.ID, time.Time{}, time.Time{}, 0, 10)
		noErr(t, "LoginTokens", err)
		diff(t, "LoginTokens(no bounds)", got, []account.Token{b, a})
		if n != 2 {
			t.Errorf("LoginTokens(no bounds) count = %d, want 2", n)
		}
		got, n, err = s.LoginTokens(t.Context(), u.ID, time.Time{}, time.Time{}, 1, 1)
		noErr(t, "LoginTokens(offset 1, limit 1)", err)
		diff(t, "LoginTokens(offset 1, limit 1) ids", ids(got, func(t account.Token) int64 { return t.ID }), []int64{a.ID})
		if n != 2 {
			t.Errorf("LoginTokens(offset 1, limit 1) count = %d, want 2", n)
		}
	}},
	{"LoginTokensBounds", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		old := createToken(t, s, u.ID, account.TokenLogin, "old") // created and used at(-1h)
		fresh := createToken(t, s, u.ID, account.TokenLogin, "fresh")
		noErr(t, "TouchToken", s.TouchToken(t.Context(), fresh.ID, at(0), at(-time.Minute)))
		cases := []struct {
			name                    string
			createdAfter, usedAfter time.Time
			want                    []int64
		}{
			{"used after at(-30m)", time.Time{}, at(-30 * time.Minute), []int64{fresh.ID}},
			{"used after at(-2h)", time.Time{}, at(-2 * time.Hour), []int64{fresh.ID, old.ID}},
			{"created after at(-30m)", at(-30 * time.Minute), time.Time{}, []int64{}},
			{"created after at(-2h)", at(-2 * time.Hour), time.Time{}, []int64{fresh.ID, old.ID}},
		}
		for _, c := range cases {
			got, n, err := s.LoginTokens(t.Context(), u.ID, c.createdAfter, c.usedAfter, 0, -1)
			noErr(t, "LoginTokens("+c.name+")", err)
			diff(t, "LoginTokens("+c.name+") ids", ids(got, func(t account.Token) int64 { return t.ID }), c.want)
			if n != len(c.want) {
				t.Errorf("LoginTokens(%s) count = %d, want %d", c.name, n, len(c.want))
			}
		}
	}},
	{"LoginTokenOfTheUserOnly", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		mine := createToken(t, s, u.ID, account.TokenLogin, "mine")
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		theirs := createToken(t, s, v.ID, account.TokenLogin, "theirs")
		got, err := s.LoginToken(t.Context(), u.ID, mine.ID)
		noErr(t, "LoginToken(mine)", err)
		diff(t, "LoginToken(mine)", got, mine)
		for name, id := range map[string]int64{"an API key": key.ID, "another account's": theirs.ID} {
			_, err := s.LoginToken(t.Context(), u.ID, id)
			wantErr(t, "LoginToken("+name+")", err, account.ErrNotFound)
		}
		noErr(t, "RevokeToken(mine)", s.RevokeToken(t.Context(), mine.ID, base))
		_, err = s.LoginToken(t.Context(), u.ID, mine.ID)
		wantErr(t, "LoginToken(revoked)", err, account.ErrNotFound)
	}},
	{"RevokeOldLoginTokensKeepsTheNewest", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		var logins []account.Token
		for _, name := range []string{"1", "2", "3", "4"} {
			logins = append(logins, createToken(t, s, u.ID, account.TokenLogin, name))
		}
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		theirs := createToken(t, s, v.ID, account.TokenLogin, "theirs")
		n, err := s.RevokeOldLoginTokens(t.Context(), u.ID, time.Time{}, time.Time{}, 2, base)
		noErr(t, "RevokeOldLoginTokens(keep 2)", err)
		if n != 2 {
			t.Errorf("RevokeOldLoginTokens(keep 2) = %d, want 2", n)
		}
		logins[0].RevokedAt, logins[1].RevokedAt = base, base
		checkTokens(t, s, "RevokeOldLoginTokens(keep 2)", append(logins, key, theirs)...)
		n, err = s.RevokeOldLoginTokens(t.Context(), u.ID, time.Time{}, time.Time{}, 2, at(time.Minute))
		noErr(t, "RevokeOldLoginTokens(keep 2) again", err)
		if n != 0 {
			t.Errorf("RevokeOldLoginTokens(keep 2) again = %d, want 0", n)
		}
		checkTokens(t, s, "RevokeOldLoginTokens(keep 2) again", append(logins, key, theirs)...)
	}},
	// The cap counts live tokens only: an old session in daily use outlives
	// later sign-ins that have since expired, and those are revoked without
	// being counted as dropped by the cap.
	{"RevokeOldLoginTokensKeepsTheNewestLive", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		createdAfter, usedAfter := at(-2*time.Hour), at(-30*time.Minute)
		use := func(tok *account.Token) { // used now: live by usedAfter
			noErr(t, "TouchToken", s.TouchToken(t.Context(), tok.ID, base, at(-time.Minute)))
			tok.LastUsedAt = base
		}
		daily := createToken(t, s, u.ID, account.TokenLogin, "daily")
		use(&daily)
		expired1 := createToken(t, s, u.ID, account.TokenLogin, "expired1") // last used at(-1h)
		expired2 := createToken(t, s, u.ID, account.TokenLogin, "expired2")
		recent := createToken(t, s, u.ID, account.TokenLogin, "recent")
		use(&recent)
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		theirs := createToken(t, s, v.ID, account.TokenLogin, "theirs") // expired, another account
		n, err := s.RevokeOldLoginTokens(t.Context(), u.ID, createdAfter, usedAfter, 2, base)
		noErr(t, "RevokeOldLoginTokens(keep 2 live of 4)", err)
		if n != 0 {
			t.Errorf("RevokeOldLoginTokens(keep 2 live of 4) = %d live revoked, want 0", n)
		}
		expired1.RevokedAt, expired2.RevokedAt = base, base
		checkTokens(t, s, "RevokeOldLoginTokens(keep 2 live of 4)", daily, expired1, expired2, recent, key, theirs)
		newest := createToken(t, s, u.ID, account.TokenLogin, "newest")
		use(&newest)
		n, err = s.RevokeOldLoginTokens(t.Context(), u.ID, createdAfter, usedAfter, 2, at(time.Minute))
		noErr(t, "RevokeOldLoginTokens(keep 2 of 3 live)", err)
		if n != 1 {
			t.Errorf("RevokeOldLoginTokens(keep 2 of 3 live) = %d live revoked, want 1", n)
		}
		daily.RevokedAt = at(time.Minute)
		checkTokens(t, s, "RevokeOldLoginTokens(keep 2 of 3 live)", daily, expired1, expired2, recent, newest, key, theirs)
		// A token too old by createdAfter is expired, however recently used.
		n, err = s.RevokeOldLoginTokens(t.Context(), u.ID, at(-30*time.Minute), time.Time{}, 2, at(2*time.Minute))
		noErr(t, "RevokeOldLoginTokens(created after at(-30m))", err)
		if n != 0 {
			t.Errorf("RevokeOldLoginTokens(created after at(-30m)) = %d live revoked, want 0", n)
		}
		recent.RevokedAt, newest.RevokedAt = at(2*time.Minute), at(2*time.Minute)
		checkTokens(t, s, "RevokeOldLoginTokens(created after at(-30m))", daily, expired1, expired2, recent, newest, key, theirs)
	}},
}
