package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// apiKeys checks APIKeys(user, offset, limit).
func apiKeys(t *testing.T, s account.Store, user int64, offset, limit int, want []account.Token, wantCount int) {
	t.Helper()
	call := fmt.Sprintf("APIKeys(%d, %d, %d)", user, offset, limit)
	got, n, err := s.APIKeys(t.Context(), user, offset, limit)
	noErr(t, call, err)
	for _, k := range got {
		utc(t, call, k.CreatedAt, k.UpdatedAt, k.RevokedAt)
	}
	if got == nil {
		got = []account.Token{}
	}
	if want == nil {
		want = []account.Token{}
	}
	diff(t, call+" keys", got, want)
	if n != wantCount {
		t.Errorf("%s count = %d, want %d", call, n, wantCount)
	}
}

var apiKeyTests = []test{
	{"RoundTripPrefixAndUpdatedAt", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		key := account.Token{UserID: u.ID, Kind: account.TokenAPIKey, Hash: account.HashSecret("k"),
			Label: "CI", Prefix: "Ab3x", CreatedAt: at(-time.Hour).In(elsewhere), UpdatedAt: at(-time.Minute).In(elsewhere)}
		noErr(t, "CreateToken(apikey)", s.CreateToken(t.Context(), &key))
		login := account.Token{UserID: u.ID, Kind: account.TokenLogin, Hash: account.HashSecret("l"), CreatedAt: base}
		noErr(t, "CreateToken(login)", s.CreateToken(t.Context(), &login))
		checkTokens(t, s, "CreateToken", key, login) // login: empty prefix, zero UpdatedAt
		got, err := s.APIKey(t.Context(), u.ID, key.ID)
		noErr(t, "APIKey", err)
		diff(t, fmt.Sprintf("APIKey(%d, %d)", u.ID, key.ID), got, key)
	}},
	{"ListOldestFirstAndCount", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		var keys []account.Token
		for i := range 5 {
			createToken(t, s, u.ID, account.TokenLogin, fmt.Sprintf("login%d", i))
			k := account.Token{UserID: u.ID, Kind: account.TokenAPIKey, Hash: account.HashSecret(fmt.Sprintf("key%d", i)),
				Label: fmt.Sprintf("key %d", i), Prefix: fmt.Sprintf("k%03d", i),
				// Newer keys get older times: the order is that of creation (ID).
				CreatedAt: at(-time.Duration(i) * time.Minute), UpdatedAt: at(-time.Duration(i) * time.Minute)}
			noErr(t, fmt.Sprintf("CreateToken(key%d)", i), s.CreateToken(t.Context(), &k))
			keys = append(keys, k)
			createToken(t, s, v.ID, account.TokenAPIKey, fmt.Sprintf("theirs%d", i))
		}
		noErr(t, "RevokeToken(key2)", s.RevokeToken(t.Context(), keys[2].ID, base))
		valid := slices.Concat(keys[:2], keys[3:])

		apiKeys(t, s, u.ID, 0, 10, valid, 4)
		apiKeys(t, s, u.ID, 0, 4, valid, 4)
		apiKeys(t, s, u.ID, 0, 2, valid[:2], 4)
		apiKeys(t, s, u.ID, 2, 2, valid[2:], 4)
		apiKeys(t, s, u.ID, 1, 2, valid[1:3], 4)
		apiKeys(t, s, u.ID, 3, 10, valid[3:], 4)
		apiKeys(t, s, u.ID, 4, 10, nil, 4)
		apiKeys(t, s, u.ID, 100, 10, nil, 4)
		apiKeys(t, s, u.ID, 0, 0, nil, 4) // only the count
		apiKeys(t, s, v.ID, 0, 0, nil, 5)
	}},
	{"ListWithoutKeys", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createToken(t, s, u.ID, account.TokenLogin, "login")
		revoked := createToken(t, s, u.ID, account.TokenAPIKey, "revoked")
		noErr(t, "RevokeToken", s.RevokeToken(t.Context(), revoked.ID, base))
		apiKeys(t, s, u.ID, 0, 10, nil, 0)
		apiKeys(t, s, u.ID+1000, 0, 10, nil, 0)
	}},
	{"APIKeyOnlyValidKeysOfTheUser", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		key := createToken(t, s, u.ID, account.TokenAPIKey, "key")
		login := createToken(t, s, u.ID, account.TokenLogin, "login")
		revoked := createToken(t, s, u.ID, account.TokenAPIKey, "revoked")
		theirs := createToken(t, s, v.ID, account.TokenAPIKey, "theirs")
		noErr(t, "RevokeToken(revoked)", s.RevokeToken(t.Context(), revoked.ID, base))

		got, err := s.APIKey(t.Context(), u.ID, key.ID)
		noErr(t, fmt.Sprintf("APIKey(%d, %d)", u.ID, key.ID), err)
		utc(t, "APIKey", got.CreatedAt, got.UpdatedAt, got.RevokedAt)
		diff(t, fmt.Sprintf("APIKey(%d, %d)", u.ID, key.ID), got, key)

		for _, c := range []struct {
			what     string
			user, id int64
		}{
			{"another user's key", u.ID, theirs.ID},
			{"a key for another user", v.ID, key.ID},
			{"a login token", u.ID, login.ID},
			{"a revoked key", u.ID, revoked.ID},
			{"an unknown id", u.ID, theirs.ID + 1000},
		} {
			got, err := s.APIKey(t.Context(), c.user, c.id)
			if !errors.Is(err, account.ErrNotFound) {
				t.Errorf("APIKey(%d, %d) of %s = %+v, %v, want ErrNotFound", c.user, c.id, c.what, got, err)
			}
		}
	}},
	{"SetTokenLabel", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		key, other := createToken(t, s, u.ID, account.TokenAPIKey, "key"), createToken(t, s, u.ID, account.TokenAPIKey, "other")
		call := fmt.Sprintf("SetTokenLabel(%d)", key.ID)
		noErr(t, call, s.SetTokenLabel(t.Context(), key.ID, "Zoë's laptop", at(time.Minute).In(elsewhere)))
		key.Label, key.UpdatedAt = "Zoë's laptop", at(time.Minute)
		checkTokens(t, s, call, key, other)
		noErr(t, call+" to empty", s.SetTokenLabel(t.Context(), key.ID, "", at(2*time.Minute)))
		key.Label, key.UpdatedAt = "", at(2*time.Minute)
		checkTokens(t, s, call+" to empty", key, other)
	}},
	{"SetTokenLabelOnlyValidKeys", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		revoked := createToken(t, s, u.ID, account.TokenAPIKey, "revoked")
		login := createToken(t, s, u.ID, account.TokenLogin, "login")
		noErr(t, "RevokeToken(revoked)", s.RevokeToken(t.Context(), revoked.ID, base))
		revoked.RevokedAt = base
		for _, c := range []struct {
			what string
			id   int64
		}{
			{"a revoked key", revoked.ID},
			{"a login token", login.ID},
			{"an unknown id", revoked.ID + login.ID + 1000},
		} {
			err := s.SetTokenLabel(t.Context(), c.id, "new", at(time.Minute))
			wantErr(t, fmt.Sprintf("SetTokenLabel(%d) of %s", c.id, c.what), err, account.ErrNotFound)
		}
		checkTokens(t, s, "SetTokenLabel", revoked, login)
	}},
}
