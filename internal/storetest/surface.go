package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// This file covers the change of address, activation, deleted accounts and
// API keys (SPEC §4.5–4.8).

// userLookup checks UserByEmailKey(key): the user with id want, or
// ErrNotFound when want is 0.
func userLookup(t *testing.T, s account.Store, key string, want int64) {
	t.Helper()
	got, err := s.UserByEmailKey(t.Context(), key)
	switch {
	case want == 0 && !errors.Is(err, account.ErrNotFound):
		t.Errorf("UserByEmailKey(%q) = user %d, %v, want ErrNotFound", key, got.ID, err)
	case want != 0 && (err != nil || got.ID != want):
		t.Errorf("UserByEmailKey(%q) = user %d, %v, want user %d, nil", key, got.ID, err, want)
	}
}

var accountStateTests = []test{
	{"SetEmail", func(t *testing.T, s account.Store) {
		unverified := newUser(2)
		unverified.EmailVerified = false
		const email = "New.Address@Example.org"
		testUserUpdate(t, s, "SetEmail", unverified, false, func(id int64, when time.Time) error {
			return s.SetEmail(t.Context(), id, email, account.EmailKey(email), when)
		}, func(u *account.User, when time.Time) {
			u.Email, u.EmailKey, u.EmailVerified = email, account.EmailKey(email), true
			u.EmailChangedAt, u.UpdatedAt = when, when
		})
	}},
	{"SetEmailFreesTheOldAddress", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		const email = "new@example.org"
		noErr(t, "SetEmail", s.SetEmail(t.Context(), u.ID, email, account.EmailKey(email), base))
		userLookup(t, s, u.EmailKey, 0)
		userLookup(t, s, account.EmailKey(email), u.ID)
		createUser(t, s, newUser(1)) // the old address is free for a new account
	}},
	{"SetEmailSameKey", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		email := "USER.1@example.COM" // another spelling of the same address
		if account.EmailKey(email) != u.EmailKey {
			t.Fatalf("EmailKey(%q) = %q, want %q", email, account.EmailKey(email), u.EmailKey)
		}
		noErr(t, fmt.Sprintf("SetEmail(%d, %q)", u.ID, email), s.SetEmail(t.Context(), u.ID, email, u.EmailKey, base))
		want := u
		want.Email, want.EmailChangedAt, want.UpdatedAt = email, base, base
		diff(t, fmt.Sprintf("UserByID(%d) after SetEmail", u.ID), userByID(t, s, u.ID), want)
	}},
	{"SetEmailConflicts", func(t *testing.T, s account.Store) {
		a, b := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		call := fmt.Sprintf("SetEmail(%d, %q)", b.ID, a.Email)
		wantErr(t, call, s.SetEmail(t.Context(), b.ID, "user.1@example.com", a.EmailKey, base), account.ErrConflict)
		diff(t, fmt.Sprintf("UserByID(%d) after the conflict", a.ID), userByID(t, s, a.ID), a)
		diff(t, fmt.Sprintf("UserByID(%d) after the conflict", b.ID), userByID(t, s, b.ID), b)
	}},
	{"SetActivationSent", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "SetActivationSent", newActiveUser(2), true, func(id int64, when time.Time) error {
			return s.SetActivationSent(t.Context(), id, when)
		}, func(u *account.User, when time.Time) { u.ActivationSentAt = when })
	}},
	{"MarkDeleted", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "MarkDeleted", newActiveUser(2), true, func(id int64, when time.Time) error {
			return s.MarkDeleted(t.Context(), id, when)
		}, func(u *account.User, when time.Time) { u.DeletedAt = when })
	}},
	{"MarkDeletedKeepsTheAddressTaken", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		noErr(t, "MarkDeleted", s.MarkDeleted(t.Context(), u.ID, base))
		if got := userByID(t, s, u.ID); !got.Deleted() {
			t.Errorf("UserByID(%d).Deleted() after MarkDeleted = false, want true", u.ID)
		}
		userLookup(t, s, u.EmailKey, u.ID)
		dup := newActiveUser(1)
		wantErr(t, "CreateUser(address of a deleted, unpurged user)", s.CreateUser(t.Context(), &dup), account.ErrConflict)
	}},
}

// createEmailChange stores an outstanding change of address for user,
// created at created; secret makes its hash unique.
func createEmailChange(t *testing.T, s account.Store, user int64, secret string, created time.Time) account.EmailChange {
	t.Helper()
	c := account.EmailChange{UserID: user, Hash: account.HashSecret(secret),
		NewEmail: fmt.Sprintf("New.%s@Example.org", secret), CreatedAt: created.In(elsewhere),
		ExpiresAt: created.Add(24 * time.Hour).In(elsewhere)}
	noErr(t, fmt.Sprintf("CreateEmailChange(%q)", secret), s.CreateEmailChange(t.Context(), &c))
	if c.ID == 0 {
		t.Fatalf("CreateEmailChange(%q) left ID = 0, want it set", secret)
	}
	return c
}

// checkEmailChanges compares the stored state of each code with want.
func checkEmailChanges(t *testing.T, s account.Store, call string, want ...account.EmailChange) {
	t.Helper()
	for _, w := range want {
		got, err := s.EmailChangeByHash(t.Context(), w.Hash)
		noErr(t, fmt.Sprintf("EmailChangeByHash(%x)", w.Hash), err)
		utc(t, fmt.Sprintf("EmailChangeByHash(%x)", w.Hash), got.CreatedAt, got.ExpiresAt, got.UsedAt, got.VoidedAt)
		diff(t, fmt.Sprintf("EmailChangeByHash(%x) after %s", w.Hash, call), got, w)
	}
}

var emailChangeTests = []test{
	{"CreateAndByHash", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a, b := createEmailChange(t, s, u.ID, "a", base), createEmailChange(t, s, u.ID, "b", base)
		if a.ID == b.ID {
			t.Errorf("CreateEmailChange gave both codes ID %d, want distinct IDs", a.ID)
		}
		checkEmailChanges(t, s, "CreateEmailChange", a, b)
	}},
	{"RoundTripUsedAndVoided", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		c := account.EmailChange{UserID: u.ID, Hash: account.HashSecret("a"), NewEmail: "n@example.org",
			CreatedAt: base, ExpiresAt: at(time.Hour), UsedAt: at(time.Minute).In(elsewhere),
			VoidedAt: at(2 * time.Minute).In(elsewhere)}
		noErr(t, "CreateEmailChange", s.CreateEmailChange(t.Context(), &c))
		checkEmailChanges(t, s, "CreateEmailChange", c)
	}},
	{"UnknownHashIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createEmailChange(t, s, u.ID, "a", base)
		hash := account.HashSecret("b")
		_, err := s.EmailChangeByHash(t.Context(), hash)
		wantErr(t, fmt.Sprintf("EmailChangeByHash(%x)", hash), err, account.ErrNotFound)
	}},
	{"DuplicateHashConflicts", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		first := createEmailChange(t, s, u.ID, "a", base)
		dup := first
		dup.ID = 0
		err := s.CreateEmailChange(t.Context(), &dup)
		wantErr(t, fmt.Sprintf("CreateEmailChange(%x) again", first.Hash), err, account.ErrConflict)
		checkEmailChanges(t, s, "the conflict", first)
	}},
	{"UseOnce", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		c, other := createEmailChange(t, s, u.ID, "a", base), createEmailChange(t, s, u.ID, "b", base)
		noErr(t, fmt.Sprintf("UseEmailChange(%d)", c.ID), s.UseEmailChange(t.Context(), c.ID, at(time.Minute).In(elsewhere)))
		c.UsedAt = at(time.Minute)
		checkEmailChanges(t, s, "UseEmailChange", c, other)
		err := s.UseEmailChange(t.Context(), c.ID, at(2*time.Minute))
		wantErr(t, fmt.Sprintf("UseEmailChange(%d) again", c.ID), err, account.ErrNotFound)
		checkEmailChanges(t, s, "UseEmailChange again", c, other)
		unknown := c.ID + other.ID + 1000
		wantErr(t, fmt.Sprintf("UseEmailChange(%d)", unknown), s.UseEmailChange(t.Context(), unknown, base), account.ErrNotFound)
	}},
	{"UseVoidedIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		c := createEmailChange(t, s, u.ID, "a", base)
		noErr(t, "VoidEmailChanges", s.VoidEmailChanges(t.Context(), u.ID, at(time.Minute)))
		c.VoidedAt = at(time.Minute)
		err := s.UseEmailChange(t.Context(), c.ID, at(2*time.Minute))
		wantErr(t, fmt.Sprintf("UseEmailChange(%d) after VoidEmailChanges", c.ID), err, account.ErrNotFound)
		checkEmailChanges(t, s, "UseEmailChange of a voided code", c)
	}},
	{"VoidOnlyOutstandingOfUser", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		early := createEmailChange(t, s, u.ID, "early", at(-time.Hour))
		noErr(t, "VoidEmailChanges(first)", s.VoidEmailChanges(t.Context(), u.ID, at(-30*time.Minute)))
		early.VoidedAt = at(-30 * time.Minute)
		a, b := createEmailChange(t, s, u.ID, "a", base), createEmailChange(t, s, u.ID, "b", base)
		used := createEmailChange(t, s, u.ID, "used", base)
		theirs := createEmailChange(t, s, v.ID, "theirs", base)
		noErr(t, "UseEmailChange(used)", s.UseEmailChange(t.Context(), used.ID, at(time.Second)))
		used.UsedAt = at(time.Second)

		call := fmt.Sprintf("VoidEmailChanges(%d)", u.ID)
		noErr(t, call, s.VoidEmailChanges(t.Context(), u.ID, at(time.Minute).In(elsewhere)))
		a.VoidedAt, b.VoidedAt = at(time.Minute), at(time.Minute)
		// early keeps the time it was first voided; used stays used, not voided.
		checkEmailChanges(t, s, call, early, a, b, used, theirs)

		noErr(t, call+" with nothing left", s.VoidEmailChanges(t.Context(), u.ID, at(time.Hour)))
		checkEmailChanges(t, s, call+" with nothing left", early, a, b, used, theirs)
		noErr(t, "VoidEmailChanges(unknown user)", s.VoidEmailChanges(t.Context(), u.ID+v.ID+1000, base))
	}},
	{"ConcurrentUseHasOneWinner", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		c := createEmailChange(t, s, u.ID, "a", base)
		c.UsedAt = oneWinner(t, "UseEmailChange", c.ID, s.UseEmailChange)
		checkEmailChanges(t, s, "concurrent UseEmailChange", c)
	}},
}

// oneWinner calls use(id) from several goroutines at once, checks that
// exactly one succeeds and the others get ErrNotFound, and returns the time
// the winner gave.
func oneWinner(t *testing.T, name string, id int64, use func(ctx context.Context, id int64, t time.Time) error) time.Time {
	t.Helper()
	const callers = 20
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = use(t.Context(), id, at(time.Duration(i)*time.Second)) })
	}
	wg.Wait()
	var winners []int
	for i, err := range errs {
		switch {
		case err == nil:
			winners = append(winners, i)
		case !errors.Is(err, account.ErrNotFound):
			t.Errorf("%s(%d) by caller %d = %v, want nil or ErrNotFound", name, id, i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%s(%d) by %d concurrent callers: %d got nil, want 1", name, id, callers, len(winners))
	}
	return at(time.Duration(winners[0]) * time.Second)
}

// createActivation stores an unused activation token for user, created at
// created; secret makes its hash unique.
func createActivation(t *testing.T, s account.Store, user int64, secret string, created time.Time) account.Activation {
	t.Helper()
	a := account.Activation{UserID: user, Hash: account.HashSecret(secret),
		Email: fmt.Sprintf("User.%d@Example.com", user), CreatedAt: created.In(elsewhere),
		ExpiresAt: created.Add(72 * time.Hour).In(elsewhere)}
	noErr(t, fmt.Sprintf("CreateActivation(%q)", secret), s.CreateActivation(t.Context(), &a))
	if a.ID == 0 {
		t.Fatalf("CreateActivation(%q) left ID = 0, want it set", secret)
	}
	return a
}

// checkActivations compares the stored state of each token with want.
func checkActivations(t *testing.T, s account.Store, call string, want ...account.Activation) {
	t.Helper()
	for _, w := range want {
		got, err := s.ActivationByHash(t.Context(), w.Hash)
		noErr(t, fmt.Sprintf("ActivationByHash(%x)", w.Hash), err)
		utc(t, fmt.Sprintf("ActivationByHash(%x)", w.Hash), got.CreatedAt, got.ExpiresAt, got.UsedAt, got.VoidedAt)
		diff(t, fmt.Sprintf("ActivationByHash(%x) after %s", w.Hash, call), got, w)
	}
}

var activationTests = []test{
	{"CreateAndByHash", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a, b := createActivation(t, s, u.ID, "a", base), createActivation(t, s, u.ID, "b", base)
		if a.ID == b.ID {
			t.Errorf("CreateActivation gave both tokens ID %d, want distinct IDs", a.ID)
		}
		checkActivations(t, s, "CreateActivation", a, b)
	}},
	{"RoundTripUsed", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a := account.Activation{UserID: u.ID, Hash: account.HashSecret("a"), Email: u.Email,
			CreatedAt: base, ExpiresAt: at(time.Hour), UsedAt: at(time.Minute).In(elsewhere)}
		noErr(t, "CreateActivation", s.CreateActivation(t.Context(), &a))
		checkActivations(t, s, "CreateActivation", a)
	}},
	{"UnknownHashIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createActivation(t, s, u.ID, "a", base)
		hash := account.HashSecret("b")
		_, err := s.ActivationByHash(t.Context(), hash)
		wantErr(t, fmt.Sprintf("ActivationByHash(%x)", hash), err, account.ErrNotFound)
	}},
	{"DuplicateHashConflicts", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		first := createActivation(t, s, u.ID, "a", base)
		dup := first
		dup.ID = 0
		err := s.CreateActivation(t.Context(), &dup)
		wantErr(t, fmt.Sprintf("CreateActivation(%x) again", first.Hash), err, account.ErrConflict)
		checkActivations(t, s, "the conflict", first)
	}},
	{"UseOnce", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a, other := createActivation(t, s, u.ID, "a", base), createActivation(t, s, u.ID, "b", base)
		noErr(t, fmt.Sprintf("UseActivation(%d)", a.ID), s.UseActivation(t.Context(), a.ID, at(time.Minute).In(elsewhere)))
		a.UsedAt = at(time.Minute)
		checkActivations(t, s, "UseActivation", a, other)
		err := s.UseActivation(t.Context(), a.ID, at(2*time.Minute))
		wantErr(t, fmt.Sprintf("UseActivation(%d) again", a.ID), err, account.ErrNotFound)
		checkActivations(t, s, "UseActivation again", a, other)
		unknown := a.ID + other.ID + 1000
		wantErr(t, fmt.Sprintf("UseActivation(%d)", unknown), s.UseActivation(t.Context(), unknown, base), account.ErrNotFound)
	}},
	{"RoundTripVoided", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a := account.Activation{UserID: u.ID, Hash: account.HashSecret("a"), Email: u.Email,
			CreatedAt: base, ExpiresAt: at(time.Hour), VoidedAt: at(time.Minute).In(elsewhere)}
		noErr(t, "CreateActivation", s.CreateActivation(t.Context(), &a))
		checkActivations(t, s, "CreateActivation", a)
	}},
	{"UseVoidedIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a := createActivation(t, s, u.ID, "a", base)
		noErr(t, "VoidActivations", s.VoidActivations(t.Context(), u.ID, at(time.Minute)))
		a.VoidedAt = at(time.Minute)
		err := s.UseActivation(t.Context(), a.ID, at(2*time.Minute))
		wantErr(t, fmt.Sprintf("UseActivation(%d) after VoidActivations", a.ID), err, account.ErrNotFound)
		checkActivations(t, s, "UseActivation of a voided token", a)
	}},
	{"VoidOnlyOutstandingOfUser", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		early := createActivation(t, s, u.ID, "early", at(-time.Hour))
		noErr(t, "VoidActivations(first)", s.VoidActivations(t.Context(), u.ID, at(-30*time.Minute)))
		early.VoidedAt = at(-30 * time.Minute)
		a, b := createActivation(t, s, u.ID, "a", base), createActivation(t, s, u.ID, "b", base)
		used := createActivation(t, s, u.ID, "used", base)
		theirs := createActivation(t, s, v.ID, "theirs", base)
		noErr(t, "UseActivation(used)", s.UseActivation(t.Context(), used.ID, at(time.Second)))
		used.UsedAt = at(time.Second)

		call := fmt.Sprintf("VoidActivations(%d)", u.ID)
		noErr(t, call, s.VoidActivations(t.Context(), u.ID, at(time.Minute).In(elsewhere)))
		a.VoidedAt, b.VoidedAt = at(time.Minute), at(time.Minute)
		// early keeps the time it was first voided; used stays used, not voided.
		checkActivations(t, s, call, early, a, b, used, theirs)

		noErr(t, call+" with nothing left", s.VoidActivations(t.Context(), u.ID, at(time.Hour)))
		checkActivations(t, s, call+" with nothing left", early, a, b, used, theirs)
		noErr(t, "VoidActivations(unknown user)", s.VoidActivations(t.Context(), u.ID+v.ID+1000, base))
	}},
	{"ConcurrentUseHasOneWinner", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a := createActivation(t, s, u.ID, "a", base)
		a.UsedAt = oneWinner(t, "UseActivation", a.ID, s.UseActivation)
		checkActivations(t, s, "concurrent UseActivation", a)
	}},
}

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

// purgeFixture is a user with one of everything that the purge erases.
type purgeFixture struct {
	user   account.User
	tokens []account.Token
	reset  account.ResetToken
	change account.EmailChange
	act    account.Activation
	events []account.Event
}

// newPurgeFixture creates user n, deleted at deleted (not deleted when
// zero), with tokens, codes and events.
func newPurgeFixture(t *testing.T, s account.Store, n int, deleted time.Time) purgeFixture {
	t.Helper()
	u := newUser(n)
	u.DeletedAt = deleted
	f := purgeFixture{user: createUser(t, s, u)}
	id, tag := f.user.ID, fmt.Sprintf("u%d-", n)
	f.tokens = []account.Token{
		createToken(t, s, id, account.TokenLogin, tag+"login"),
		createToken(t, s, id, account.TokenAPIKey, tag+"key"),
	}
	f.reset = createReset(t, s, id, tag+"reset", at(-100*time.Hour))
	f.change = createEmailChange(t, s, id, tag+"change", at(-100*time.Hour))
	f.act = createActivation(t, s, id, tag+"act", at(-100*time.Hour))
	f.events = []account.Event{
		addEvent(t, s, newEvent("registered", id, u.Email, at(-100*time.Hour))),
		addEvent(t, s, newEvent("login", id, u.Email, at(-99*time.Hour))),
	}
	// An event of the user recorded without the address still holds the
	// client's IP and user agent.
	noAddress := newEvent("login_failed", id, "", at(-98*time.Hour))
	f.events = append(f.events, addEvent(t, s, noAddress))
	return f
}

// intact checks that nothing of f changed.
func (f purgeFixture) intact(t *testing.T, s account.Store, call string) {
	t.Helper()
	diff(t, fmt.Sprintf("UserByID(%d) after %s", f.user.ID, call), userByID(t, s, f.user.ID), f.user)
	userLookup(t, s, f.user.EmailKey, f.user.ID)
	checkTokens(t, s, call, f.tokens...)
	checkResets(t, s, call, f.reset)
	checkEmailChanges(t, s, call, f.change)
	checkActivations(t, s, call, f.act)
	f.checkEvents(t, s, call, f.events)
}

// purged checks that f's user was erased.
func (f purgeFixture) purged(t *testing.T, s account.Store, call string) {
	t.Helper()
	id := f.user.ID
	got := userByID(t, s, id)
	want := account.User{ID: id, EmailKey: fmt.Sprintf("purged:%d", id), DeletedAt: f.user.DeletedAt}
	want.Timezone = "UTC"
	pick := func(u account.User) account.User {
		return account.User{ID: u.ID, Email: u.Email, EmailKey: u.EmailKey, PasswordHash: u.PasswordHash,
			FirstName: u.FirstName, LastName: u.LastName, EmailVerified: u.EmailVerified, DeletedAt: u.DeletedAt,
			Timezone: u.Timezone, MarketingEmailAccepted: u.MarketingEmailAccepted, LastLogin: u.LastLogin,
			ActivationSentAt: u.ActivationSentAt}
	}
	diff(t, fmt.Sprintf("UserByID(%d) after %s: personal data", id, call), pick(got), want)
	userLookup(t, s, f.user.EmailKey, 0)
	for _, tok := range f.tokens {
		_, err := s.TokenByHash(t.Context(), tok.Hash)
		wantErr(t, fmt.Sprintf("TokenByHash(%x) of a purged user", tok.Hash), err, account.ErrNotFound)
	}
	_, err := s.ResetTokenByHash(t.Context(), f.reset.Hash)
	wantErr(t, "ResetTokenByHash of a purged user", err, account.ErrNotFound)
	_, err = s.EmailChangeByHash(t.Context(), f.change.Hash)
	wantErr(t, "EmailChangeByHash of a purged user", err, account.ErrNotFound)
	_, err = s.ActivationByHash(t.Context(), f.act.Hash)
	wantErr(t, "ActivationByHash of a purged user", err, account.ErrNotFound)
	apiKeys(t, s, id, 0, 10, nil, 0)

	var blank []account.Event
	for _, e := range f.events {
		// Detail may name the old address ("from …" of email_changed).
		e.Email, e.EmailKey, e.IP, e.UserAgent, e.Detail = "", "", "", "", ""
		blank = append(blank, e)
	}
	f.checkEvents(t, s, call, blank)
	if ev := events(t, s, account.EventFilter{EmailKey: f.user.EmailKey, Limit: 100}); len(ev) != 0 {
		t.Errorf("Events(EmailKey %q) after %s = %d events, want none", f.user.EmailKey, call, len(ev))
	}
}

// checkEvents compares the stored events of f's user with want.
func (f purgeFixture) checkEvents(t *testing.T, s account.Store, call string, want []account.Event) {
	t.Helper()
	var got []account.Event
	for _, e := range events(t, s, account.EventFilter{Limit: -1}) {
		if e.UserID == f.user.ID {
			got = append(got, e)
		}
	}
	slices.SortFunc(got, func(a, b account.Event) int { return a.Time.Compare(b.Time) })
	diff(t, fmt.Sprintf("events of user %d after %s", f.user.ID, call), got, want)
}

var purgeTests = []test{
	{"PurgesOnlyUsersDeletedBefore", func(t *testing.T, s account.Store) {
		cutoff := at(-24 * time.Hour)
		old := newPurgeFixture(t, s, 1, at(-48*time.Hour).In(elsewhere))
		older := newPurgeFixture(t, s, 2, at(-30*24*time.Hour))
		atCutoff := newPurgeFixture(t, s, 3, cutoff) // deleted at, not before, the cutoff
		recent := newPurgeFixture(t, s, 4, at(-time.Hour))
		active := newPurgeFixture(t, s, 5, time.Time{})
		anonymous := addEvent(t, s, newEvent("reset_requested", 0, "Nobody@Example.com", base))

		call := fmt.Sprintf("PurgeDeleted(%v)", cutoff)
		n, err := s.PurgeDeleted(t.Context(), cutoff.In(elsewhere))
		noErr(t, call, err)
		if n != 2 {
			t.Errorf("%s = %d, want 2", call, n)
		}
		old.purged(t, s, call)
		older.purged(t, s, call)
		for _, f := range []purgeFixture{atCutoff, recent, active} {
			f.intact(t, s, call)
		}
		diff(t, "Events(EmailKey of an event without a user)",
			events(t, s, account.EventFilter{EmailKey: anonymous.EmailKey, Limit: 10}), []account.Event{anonymous})

		n, err = s.PurgeDeleted(t.Context(), cutoff)
		noErr(t, call+" again", err)
		if n != 0 {
			t.Errorf("%s again = %d, want 0", call, n)
		}
		old.purged(t, s, call+" again")
		atCutoff.intact(t, s, call+" again")

		// The address is free again: a new account takes it, and the
		// events under it are its own.
		again := createUser(t, s, newActiveUser(1))
		userLookup(t, s, again.EmailKey, again.ID)
		fresh := addEvent(t, s, newEvent("registered", again.ID, again.Email, base))
		diff(t, "Events(EmailKey of the new account)",
			events(t, s, account.EventFilter{EmailKey: again.EmailKey, Limit: 10}), []account.Event{fresh})

		call = fmt.Sprintf("PurgeDeleted(%v)", base)
		n, err = s.PurgeDeleted(t.Context(), base)
		noErr(t, call, err)
		if n != 2 {
			t.Errorf("%s = %d, want 2", call, n)
		}
		atCutoff.purged(t, s, call)
		recent.purged(t, s, call)
		active.intact(t, s, call)
		diff(t, fmt.Sprintf("UserByID(%d) after %s", again.ID, call), userByID(t, s, again.ID), again)
	}},
	{"NothingToPurge", func(t *testing.T, s account.Store) {
		n, err := s.PurgeDeleted(t.Context(), base)
		if err != nil || n != 0 {
			t.Errorf("PurgeDeleted on an empty store = %d, %v, want 0, nil", n, err)
		}
		active := newPurgeFixture(t, s, 1, time.Time{})
		n, err = s.PurgeDeleted(t.Context(), at(time.Hour))
		if err != nil || n != 0 {
			t.Errorf("PurgeDeleted with no deleted user = %d, %v, want 0, nil", n, err)
		}
		active.intact(t, s, "PurgeDeleted")
	}},
	{"PurgeInTx", func(t *testing.T, s account.Store) {
		old := newPurgeFixture(t, s, 1, at(-48*time.Hour))
		var n int
		err := s.InTx(bounded(t), func(tx account.Store) error {
			var err error
			n, err = tx.PurgeDeleted(bounded(t), base)
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("PurgeDeleted in InTx = %d, %v, want 1, nil", n, err)
		}
		old.purged(t, s, "PurgeDeleted in InTx")
	}},
	{"ConcurrentPurgesCountEachUserOnce", func(t *testing.T, s account.Store) {
		var fixtures []purgeFixture
		for i := range 3 {
			fixtures = append(fixtures, newPurgeFixture(t, s, i+1, at(-48*time.Hour)))
		}
		const callers = 4
		counts := make([]int, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { counts[i], errs[i] = s.PurgeDeleted(bounded(t), base) })
		}
		wg.Wait()
		total := 0
		for i := range callers {
			if errs[i] != nil {
				t.Errorf("PurgeDeleted by caller %d error = %v, want nil", i, errs[i])
			}
			total += counts[i]
		}
		if total != len(fixtures) {
			t.Errorf("PurgeDeleted by %d concurrent callers purged %v, %d in all, want %d",
				callers, counts, total, len(fixtures))
		}
		for _, f := range fixtures {
			f.purged(t, s, "concurrent PurgeDeleted")
		}
	}},
}
