package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// createReset stores an outstanding reset token for user, created at
// created, and returns it with its ID; secret makes its hash unique.
func createReset(t *testing.T, s account.Store, user int64, secret string, created time.Time) account.ResetToken {
	t.Helper()
	r := account.ResetToken{UserID: user, Hash: account.HashSecret(secret),
		Email: fmt.Sprintf("user.%d@example.com", user), CreatedAt: created.In(elsewhere),
		ExpiresAt: created.Add(time.Hour).In(elsewhere)}
	noErr(t, fmt.Sprintf("CreateResetToken(%q)", secret), s.CreateResetToken(t.Context(), &r))
	if r.ID == 0 {
		t.Fatalf("CreateResetToken(%q) left ID = 0, want it set", secret)
	}
	return r
}

// checkResets compares the stored state of each reset token with want.
func checkResets(t *testing.T, s account.Store, call string, want ...account.ResetToken) {
	t.Helper()
	for _, w := range want {
		got, err := s.ResetTokenByHash(t.Context(), w.Hash)
		noErr(t, fmt.Sprintf("ResetTokenByHash(%x)", w.Hash), err)
		utc(t, fmt.Sprintf("ResetTokenByHash(%x)", w.Hash), got.CreatedAt, got.ExpiresAt, got.UsedAt, got.VoidedAt)
		diff(t, fmt.Sprintf("ResetTokenByHash(%x) after %s", w.Hash, call), got, w)
	}
}

// countResets checks CountResetTokens(user, since).
func countResets(t *testing.T, s account.Store, user int64, since time.Time, want int) {
	t.Helper()
	n, err := s.CountResetTokens(t.Context(), user, since)
	if err != nil || n != want {
		t.Errorf("CountResetTokens(%d, %v) = %d, %v, want %d, nil", user, since, n, err, want)
	}
}

var resetTests = []test{
	{"CreateAndByHash", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		a, b := createReset(t, s, u.ID, "a", base), createReset(t, s, u.ID, "b", base)
		if a.ID == b.ID {
			t.Errorf("CreateResetToken gave both tokens ID %d, want distinct IDs", a.ID)
		}
		checkResets(t, s, "CreateResetToken", a, b)
	}},
	{"UnknownHashIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createReset(t, s, u.ID, "a", base)
		hash := account.HashSecret("b")
		_, err := s.ResetTokenByHash(t.Context(), hash)
		wantErr(t, fmt.Sprintf("ResetTokenByHash(%x)", hash), err, account.ErrNotFound)
	}},
	{"DuplicateHashConflicts", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		first := createReset(t, s, u.ID, "a", base)
		dup := first
		dup.ID = 0
		err := s.CreateResetToken(t.Context(), &dup)
		wantErr(t, fmt.Sprintf("CreateResetToken(%x) again", first.Hash), err, account.ErrConflict)
	}},
	{"UseOnce", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		r, other := createReset(t, s, u.ID, "a", base), createReset(t, s, u.ID, "b", base)
		noErr(t, fmt.Sprintf("UseResetToken(%d)", r.ID), s.UseResetToken(t.Context(), r.ID, at(time.Minute)))
		r.UsedAt = at(time.Minute)
		checkResets(t, s, "UseResetToken", r, other)
		err := s.UseResetToken(t.Context(), r.ID, at(2*time.Minute))
		wantErr(t, fmt.Sprintf("UseResetToken(%d) again", r.ID), err, account.ErrNotFound)
		checkResets(t, s, "UseResetToken again", r)
	}},
	{"UseUnknownIsNotFound", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		r := createReset(t, s, u.ID, "a", base)
		err := s.UseResetToken(t.Context(), r.ID+1000, base)
		wantErr(t, fmt.Sprintf("UseResetToken(%d)", r.ID+1000), err, account.ErrNotFound)
	}},
	{"VoidedCannotBeUsed", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		one, all := createReset(t, s, u.ID, "one", base), createReset(t, s, u.ID, "all", base)
		noErr(t, fmt.Sprintf("VoidResetToken(%d)", one.ID), s.VoidResetToken(t.Context(), one.ID, at(time.Minute)))
		noErr(t, fmt.Sprintf("VoidResetTokens(%d)", u.ID), s.VoidResetTokens(t.Context(), u.ID, at(2*time.Minute)))
		one.VoidedAt, all.VoidedAt = at(time.Minute), at(2*time.Minute)
		for _, r := range []account.ResetToken{one, all} {
			err := s.UseResetToken(t.Context(), r.ID, at(3*time.Minute))
			wantErr(t, fmt.Sprintf("UseResetToken(%d) of a voided token", r.ID), err, account.ErrNotFound)
		}
		checkResets(t, s, "UseResetToken of voided tokens", one, all)
	}},
	{"VoidResetToken", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		r, used := createReset(t, s, u.ID, "a", base), createReset(t, s, u.ID, "used", base)
		other := createReset(t, s, u.ID, "other", base)
		noErr(t, "UseResetToken(used)", s.UseResetToken(t.Context(), used.ID, base))
		used.UsedAt = base
		noErr(t, fmt.Sprintf("VoidResetToken(%d)", r.ID), s.VoidResetToken(t.Context(), r.ID, at(time.Minute)))
		r.VoidedAt = at(time.Minute)
		checkResets(t, s, "VoidResetToken", r, used, other)

		for name, id := range map[string]int64{"voided": r.ID, "used": used.ID, "unknown": r.ID + 1000} {
			err := s.VoidResetToken(t.Context(), id, at(2*time.Minute))
			wantErr(t, fmt.Sprintf("VoidResetToken(%d) of a %s token", id, name), err, account.ErrNotFound)
		}
		checkResets(t, s, "VoidResetToken of tokens not outstanding", r, used, other)
	}},
	{"VoidResetTokensOnlyOutstandingOfUser", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		a, b := createReset(t, s, u.ID, "a", base), createReset(t, s, u.ID, "b", base)
		used, voided := createReset(t, s, u.ID, "used", base), createReset(t, s, u.ID, "voided", base)
		theirs := createReset(t, s, v.ID, "theirs", base)
		noErr(t, "UseResetToken(used)", s.UseResetToken(t.Context(), used.ID, at(time.Second)))
		noErr(t, "VoidResetToken(voided)", s.VoidResetToken(t.Context(), voided.ID, at(2*time.Second)))
		used.UsedAt, voided.VoidedAt = at(time.Second), at(2*time.Second)

		call := fmt.Sprintf("VoidResetTokens(%d)", u.ID)
		noErr(t, call, s.VoidResetTokens(t.Context(), u.ID, at(time.Minute)))
		a.VoidedAt, b.VoidedAt = at(time.Minute), at(time.Minute)
		checkResets(t, s, call, a, b, used, voided, theirs)
		// Nothing left to void is not an error: a password change always voids.
		noErr(t, call+" again", s.VoidResetTokens(t.Context(), u.ID, at(2*time.Minute)))
		checkResets(t, s, call+" again", a, b, used, voided, theirs)
	}},
	{"VoidResetTokensWithNone", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		noErr(t, fmt.Sprintf("VoidResetTokens(%d)", u.ID), s.VoidResetTokens(t.Context(), u.ID, base))
	}},
	{"CountSince", func(t *testing.T, s account.Store) {
		u, v := createUser(t, s, newUser(1)), createUser(t, s, newUser(2))
		createReset(t, s, u.ID, "2h", at(-2*time.Hour))
		used := createReset(t, s, u.ID, "30m", at(-30*time.Minute))
		voided := createReset(t, s, u.ID, "10m", at(-10*time.Minute))
		createReset(t, s, v.ID, "theirs", at(-5*time.Minute))
		noErr(t, "UseResetToken(30m)", s.UseResetToken(t.Context(), used.ID, base))
		noErr(t, "VoidResetToken(10m)", s.VoidResetToken(t.Context(), voided.ID, base))

		countResets(t, s, u.ID, at(-time.Hour), 2) // used and voided tokens count too
		countResets(t, s, u.ID, at(-3*time.Hour).In(elsewhere), 3)
		countResets(t, s, u.ID, at(-20*time.Minute), 1)
		countResets(t, s, u.ID, at(time.Second), 0)
		countResets(t, s, v.ID, at(-time.Hour), 1)
		countResets(t, s, u.ID+v.ID+1000, at(-time.Hour), 0)
	}},
	{"CountSinceZeroTimeCountsAll", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		createReset(t, s, u.ID, "a", at(-48*time.Hour))
		createReset(t, s, u.ID, "b", base)
		countResets(t, s, u.ID, time.Time{}, 2)
	}},
	{"ConcurrentUseHasOneWinner", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		r := createReset(t, s, u.ID, "a", base)
		const callers = 20
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { errs[i] = s.UseResetToken(t.Context(), r.ID, at(time.Duration(i)*time.Second)) })
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				r.UsedAt = at(time.Duration(i) * time.Second)
			case !errors.Is(err, account.ErrNotFound):
				t.Errorf("UseResetToken(%d) by caller %d = %v, want nil or ErrNotFound", r.ID, i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("UseResetToken(%d) by %d concurrent callers: %d got nil, want 1", r.ID, callers, winners)
		}
		checkResets(t, s, "concurrent UseResetToken", r)
	}},
}
