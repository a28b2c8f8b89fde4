package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// errFn is what the functions given to InTx fail with.
var errFn = errors.New("storetest: fn failed")

// absent checks that no user has the address of u.
func absent(t *testing.T, s account.Store, u account.User, when string) {
	t.Helper()
	got, err := s.UserByEmailKey(t.Context(), u.EmailKey)
	if !errors.Is(err, account.ErrNotFound) {
		t.Errorf("UserByEmailKey(%q) %s = %+v, %v, want ErrNotFound", u.EmailKey, when, got, err)
	}
}

// bounded returns a context that ends after a while. A store that began a
// second transaction for a nested InTx, or left a failed one open, would
// otherwise make the next InTx wait forever (SQLite has one writer
// connection), and the test would hang instead of failing.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stillWrites checks that the store takes a write after a failed InTx: the
// transaction did not stay open, holding the write lock. It waits less than
// bounded, so a leaked transaction is not rolled back by its own context's
// end before the write gives up.
func stillWrites(t *testing.T, s account.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	u := newUser(100)
	if err := s.CreateUser(ctx, &u); err != nil {
		t.Errorf("CreateUser(%q) after a failed InTx error = %v, want nil", u.Email, err)
	}
}

var txTests = []test{
	{"CommitsOnNil", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		u := newUser(1)
		var tok account.Token
		err := s.InTx(ctx, func(tx account.Store) error {
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if _, err := tx.UserByID(ctx, u.ID); err != nil {
				return fmt.Errorf("UserByID in the transaction: %w", err)
			}
			tok = account.Token{UserID: u.ID, Kind: account.TokenLogin, Hash: account.HashSecret("a"), CreatedAt: base}
			return tx.CreateToken(ctx, &tok)
		})
		noErr(t, "InTx(create user and token)", err)
		diff(t, fmt.Sprintf("UserByID(%d) after InTx", u.ID), userByID(t, s, u.ID), u)
		checkTokens(t, s, "InTx", tok)
	}},
	{"RollsBackOnError", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		kept := createUser(t, s, newActiveUser(1))
		u := newUser(2)
		err := s.InTx(ctx, func(tx account.Store) error {
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			if err := tx.SetLastLogin(ctx, kept.ID, base); err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, &account.Event{Time: base, Type: "registered", UserID: u.ID}); err != nil {
				return err
			}
			return errFn
		})
		wantErr(t, "InTx(fn failing)", err, errFn)
		absent(t, s, u, "after a rolled back InTx")
		diff(t, fmt.Sprintf("UserByID(%d) after a rolled back InTx", kept.ID), userByID(t, s, kept.ID), kept)
		ev, err := s.Events(ctx, account.EventFilter{Limit: 10})
		if err != nil || len(ev) != 0 {
			t.Errorf("Events() after a rolled back InTx = %+v, %v, want none", ev, err)
		}
		stillWrites(t, s)
	}},
	{"ReturnsStoreErrorOfFn", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		first := createUser(t, s, newUser(1))
		err := s.InTx(ctx, func(tx account.Store) error {
			u := newUser(1)
			return tx.CreateUser(ctx, &u)
		})
		wantErr(t, fmt.Sprintf("InTx(CreateUser(%q) again)", first.Email), err, account.ErrConflict)
		err = s.InTx(ctx, func(tx account.Store) error {
			_, err := tx.UserByID(ctx, first.ID+1000)
			return err
		})
		wantErr(t, fmt.Sprintf("InTx(UserByID(%d))", first.ID+1000), err, account.ErrNotFound)
	}},
	{"ReturnsWrappedErrorOfFn", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		err := s.InTx(ctx, func(tx account.Store) error { return fmt.Errorf("wrapped: %w", errFn) })
		wantErr(t, "InTx(fn failing)", err, errFn)
	}},
	{"Nested", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		u, v := newUser(1), newUser(2)
		err := s.InTx(ctx, func(tx account.Store) error {
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			return tx.InTx(ctx, func(inner account.Store) error {
				if _, err := inner.UserByID(ctx, u.ID); err != nil {
					return fmt.Errorf("UserByID in the nested transaction: %w", err)
				}
				return inner.CreateUser(ctx, &v)
			})
		})
		noErr(t, "InTx(InTx)", err)
		diff(t, fmt.Sprintf("UserByID(%d) after nested InTx", u.ID), userByID(t, s, u.ID), u)
		diff(t, fmt.Sprintf("UserByID(%d) after nested InTx", v.ID), userByID(t, s, v.ID), v)
	}},
	{"NestedErrorRollsBackAll", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		u, v := newUser(1), newUser(2)
		err := s.InTx(ctx, func(tx account.Store) error {
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
			return tx.InTx(ctx, func(inner account.Store) error {
				if err := inner.CreateUser(ctx, &v); err != nil {
					return err
				}
				return errFn
			})
		})
		wantErr(t, "InTx(InTx(fn failing))", err, errFn)
		absent(t, s, u, "after a rolled back InTx")
		absent(t, s, v, "after a rolled back nested InTx")
	}},
	{"RollsBackOnPanic", func(t *testing.T, s account.Store) {
		ctx := bounded(t)
		u := newUser(1)
		func() {
			defer func() {
				if r := recover(); r != errFn {
					t.Errorf("InTx(fn panicking) panicked with %v, want %v", r, errFn)
				}
			}()
			s.InTx(ctx, func(tx account.Store) error {
				if err := tx.CreateUser(ctx, &u); err != nil {
					return err
				}
				panic(errFn)
			})
		}()
		absent(t, s, u, "after InTx(fn panicking)")
		stillWrites(t, s)
	}},
}
