package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

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
