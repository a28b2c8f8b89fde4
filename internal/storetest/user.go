package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// newUser returns a user with every field set, its times in a zone other
// than UTC; n makes the address unique.
func newUser(n int) account.User {
	email := fmt.Sprintf("User.%d@Example.com", n)
	return account.User{
		Email:                  email,
		EmailKey:               account.EmailKey(email),
		PasswordHash:           fmt.Sprintf("$argon2id$v=19$m=65536,t=3,p=2$salt%d$hash", n),
		FirstName:              "Zoë",
		LastName:               "Ørsted",
		Timezone:               "Europe/Berlin",
		EmailVerified:          true,
		MarketingEmailAccepted: true,
		CreatedAt:              at(-72 * time.Hour).In(elsewhere),
		UpdatedAt:              at(-48 * time.Hour).In(elsewhere),
		LastLogin:              at(-24 * time.Hour).In(elsewhere),
		PasswordChangedAt:      at(-71 * time.Hour).In(elsewhere),
		EmailChangedAt:         at(-70 * time.Hour).In(elsewhere),
		ActivationSentAt:       at(-69 * time.Hour).In(elsewhere),
		DeletedAt:              at(-time.Hour).In(elsewhere),
	}
}

// newActiveUser returns a user as registration makes it: never logged in,
// not verified, no activation email sent yet, not deleted.
func newActiveUser(n int) account.User {
	u := newUser(n)
	u.EmailVerified, u.MarketingEmailAccepted = false, false
	u.FirstName, u.LastName, u.Timezone = "", "", "UTC"
	u.LastLogin, u.DeletedAt, u.ActivationSentAt = time.Time{}, time.Time{}, time.Time{}
	return u
}

// createUser stores u and returns it with its ID.
func createUser(t *testing.T, s account.Store, u account.User) account.User {
	t.Helper()
	noErr(t, fmt.Sprintf("CreateUser(%q)", u.Email), s.CreateUser(t.Context(), &u))
	if u.ID == 0 {
		t.Fatalf("CreateUser(%q) left ID = 0, want it set", u.Email)
	}
	return u
}

// userByID returns the stored user or stops the test.
func userByID(t *testing.T, s account.Store, id int64) account.User {
	t.Helper()
	u, err := s.UserByID(t.Context(), id)
	noErr(t, fmt.Sprintf("UserByID(%d)", id), err)
	utc(t, fmt.Sprintf("UserByID(%d)", id), u.CreatedAt, u.UpdatedAt, u.LastLogin,
		u.PasswordChangedAt, u.EmailChangedAt, u.ActivationSentAt, u.DeletedAt)
	return u
}

var userTests = []test{
	{"CreateSetsDistinctIDs", func(t *testing.T, s account.Store) {
		a, b := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		if a.ID == b.ID {
			t.Errorf("CreateUser gave both users ID %d, want distinct IDs", a.ID)
		}
	}},
	{"RoundTripEveryField", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		diff(t, fmt.Sprintf("UserByID(%d)", u.ID), userByID(t, s, u.ID), u)
	}},
	{"ZeroTimesStayZero", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		got := userByID(t, s, u.ID)
		diff(t, fmt.Sprintf("UserByID(%d)", u.ID), got, u)
		if !got.LastLogin.IsZero() || !got.DeletedAt.IsZero() || !got.ActivationSentAt.IsZero() {
			t.Errorf("UserByID(%d) LastLogin, DeletedAt, ActivationSentAt = %v, %v, %v, want zero times",
				u.ID, got.LastLogin, got.DeletedAt, got.ActivationSentAt)
		}
	}},
	{"TimesKeepMicroseconds", func(t *testing.T, s account.Store) {
		u := newActiveUser(1)
		u.CreatedAt = base.Add(789 * time.Nanosecond) // below the precision kept
		u = createUser(t, s, u)
		got := userByID(t, s, u.ID).CreatedAt
		// Backends may truncate (SQLite) or round (PostgreSQL) the nanoseconds.
		if !got.Equal(base) && !got.Equal(base.Add(time.Microsecond)) {
			t.Errorf("UserByID(%d).CreatedAt = %v, want %v to the microsecond", u.ID, got, u.CreatedAt)
		}
	}},
	{"ByEmailKey", func(t *testing.T, s account.Store) {
		createUser(t, s, newUser(1))
		u := createUser(t, s, newUser(2))
		got, err := s.UserByEmailKey(t.Context(), u.EmailKey)
		noErr(t, fmt.Sprintf("UserByEmailKey(%q)", u.EmailKey), err)
		diff(t, fmt.Sprintf("UserByEmailKey(%q)", u.EmailKey), got, u)
	}},
	{"DuplicateEmailKeyConflicts", func(t *testing.T, s account.Store) {
		first := createUser(t, s, newUser(1))
		dup := newActiveUser(2)
		dup.Email, dup.EmailKey = "USER.1@example.com", first.EmailKey
		err := s.CreateUser(t.Context(), &dup)
		wantErr(t, fmt.Sprintf("CreateUser(EmailKey %q) again", dup.EmailKey), err, account.ErrConflict)
		got, err := s.UserByEmailKey(t.Context(), first.EmailKey)
		noErr(t, fmt.Sprintf("UserByEmailKey(%q)", first.EmailKey), err)
		diff(t, fmt.Sprintf("UserByEmailKey(%q) after the conflict", first.EmailKey), got, first)
	}},
	{"UnknownIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		got, err := s.UserByID(t.Context(), u.ID+1000)
		wantErr(t, fmt.Sprintf("UserByID(%d)", u.ID+1000), err, account.ErrNotFound)
		if err == nil {
			t.Errorf("UserByID(%d) = %+v, nil, want ErrNotFound", u.ID+1000, got)
		}
		got, err = s.UserByEmailKey(t.Context(), "nobody@example.com")
		wantErr(t, `UserByEmailKey("nobody@example.com")`, err, account.ErrNotFound)
		if err == nil {
			t.Errorf(`UserByEmailKey("nobody@example.com") = %+v, nil, want ErrNotFound`, got)
		}
		_, err = s.UserByEmailKey(t.Context(), "")
		wantErr(t, `UserByEmailKey("")`, err, account.ErrNotFound)
	}},
	{"SetPassword", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "SetPassword", newUser(2), true, func(id int64, when time.Time) error {
			return s.SetPassword(t.Context(), id, "$argon2id$new", when)
		}, func(u *account.User, when time.Time) {
			u.PasswordHash, u.PasswordChangedAt = "$argon2id$new", when
		})
	}},
	{"RehashPassword", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "RehashPassword", newUser(2), false, func(id int64, _ time.Time) error {
			return s.RehashPassword(t.Context(), id, "$argon2id$rehashed")
		}, func(u *account.User, _ time.Time) {
			u.PasswordHash = "$argon2id$rehashed" // PasswordChangedAt stays: not a change
		})
	}},
	{"SetLastLogin", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "SetLastLogin", newUser(2), false, func(id int64, when time.Time) error {
			return s.SetLastLogin(t.Context(), id, when)
		}, func(u *account.User, when time.Time) { u.LastLogin = when })
	}},
	{"SetEmailVerified", func(t *testing.T, s account.Store) {
		unverified := newUser(2)
		unverified.EmailVerified = false
		testUserUpdate(t, s, "SetEmailVerified", unverified, true, func(id int64, when time.Time) error {
			return s.SetEmailVerified(t.Context(), id, when)
		}, func(u *account.User, _ time.Time) { u.EmailVerified = true })
	}},
	{"UpdateProfile", func(t *testing.T, s account.Store) {
		testUserUpdate(t, s, "UpdateProfile", newUser(2), false, func(id int64, when time.Time) error {
			u := newUser(99) // fields that are not the profile's must be ignored
			u.ID, u.FirstName, u.LastName, u.Timezone, u.UpdatedAt = id, "Ada", "", "Asia/Tokyo", when
			return s.UpdateProfile(t.Context(), u)
		}, func(u *account.User, when time.Time) {
			u.FirstName, u.LastName, u.Timezone, u.UpdatedAt = "Ada", "", "Asia/Tokyo", when
		})
	}},
}

// testUserUpdate checks that update changes a stored user as apply says and
// nothing else, on the user and on an untouched neighbour, and that it gives
// ErrNotFound for an unknown id. When bumpsUpdatedAt, the store may also set
// UpdatedAt to the time given, or leave it.
func testUserUpdate(t *testing.T, s account.Store, name string, start account.User, bumpsUpdatedAt bool,
	update func(id int64, when time.Time) error, apply func(u *account.User, when time.Time)) {
	t.Helper()
	neighbour := createUser(t, s, newUser(1))
	u := createUser(t, s, start)
	when := at(time.Minute).In(elsewhere)
	noErr(t, fmt.Sprintf("%s(%d)", name, u.ID), update(u.ID, when))
	want := u
	apply(&want, when)
	got := userByID(t, s, u.ID)
	if bumpsUpdatedAt && got.UpdatedAt.Equal(when) {
		want.UpdatedAt = when
	}
	diff(t, fmt.Sprintf("UserByID(%d) after %s", u.ID, name), got, want)
	diff(t, fmt.Sprintf("UserByID(%d) of another user after %s", neighbour.ID, name),
		userByID(t, s, neighbour.ID), neighbour)

	unknown := u.ID + 1000
	wantErr(t, fmt.Sprintf("%s(%d)", name, unknown), update(unknown, when), account.ErrNotFound)
}

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
