package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

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
