package storetest

import (
	"fmt"
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
