package account

import (
	"context"
	"time"
)

// invalidatingStore is the Service's store: the real one, with every write
// that could end a credential or change what Introspect reports about it
// followed by changed(), once it is committed. Inside InTx the writes are
// noted and changed() runs after the transaction returns (committed or
// not: a rolled-back one costs only a refill).
//
// TestInvalidatingStoreCoversTheStore lists every Store method as either
// overridden here or harmless to the cache, so a new write cannot be
// forgotten.
type invalidatingStore struct {
	Store
	// changed is called after a write outside a transaction; inside one it
	// is the transaction's marker.
	changed func()
}

func (s invalidatingStore) InTx(ctx context.Context, fn func(tx Store) error) error {
	dirty := false
	err := s.Store.InTx(ctx, func(tx Store) error {
		return fn(invalidatingStore{Store: tx, changed: func() { dirty = true }})
	})
	if dirty {
		s.changed()
	}
	return err
}

// after calls changed once the write is done, whatever its error: a write
// that failed may still have happened (a lost commit acknowledgement).
func (s invalidatingStore) after(err error) error {
	s.changed()
	return err
}

func (s invalidatingStore) UpdateProfile(ctx context.Context, u User) error {
	return s.after(s.Store.UpdateProfile(ctx, u))
}

func (s invalidatingStore) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error {
	return s.after(s.Store.SetPassword(ctx, userID, hash, changedAt))
}

func (s invalidatingStore) SetEmailVerified(ctx context.Context, userID int64, t time.Time) error {
	return s.after(s.Store.SetEmailVerified(ctx, userID, t))
}

func (s invalidatingStore) SetEmail(ctx context.Context, userID int64, email, key string, t time.Time) error {
	return s.after(s.Store.SetEmail(ctx, userID, email, key, t))
}

func (s invalidatingStore) MarkDeleted(ctx context.Context, userID int64, t time.Time) error {
	return s.after(s.Store.MarkDeleted(ctx, userID, t))
}

func (s invalidatingStore) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	n, err := s.Store.PurgeDeleted(ctx, before)
	if n > 0 || err != nil {
		s.changed()
	}
	return n, err
}

func (s invalidatingStore) RevokeToken(ctx context.Context, id int64, t time.Time) error {
	return s.after(s.Store.RevokeToken(ctx, id, t))
}

func (s invalidatingStore) RevokeTokens(ctx context.Context, userID, keep int64, kinds []TokenKind, t time.Time) error {
	return s.after(s.Store.RevokeTokens(ctx, userID, keep, kinds, t))
}

func (s invalidatingStore) RevokeOldLoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, keep int, t time.Time) (int, error) {
	n, err := s.Store.RevokeOldLoginTokens(ctx, userID, createdAfter, usedAfter, keep, t)
	if n > 0 || err != nil {
		s.changed()
	}
	return n, err
}

func (s invalidatingStore) SetActiveTwoFactorMethod(ctx context.Context, userID, id, lastStep int64, t time.Time) error {
	return s.after(s.Store.SetActiveTwoFactorMethod(ctx, userID, id, lastStep, t))
}

func (s invalidatingStore) SetTokenTwoFactor(ctx context.Context, tokenID int64, pending bool) error {
	return s.after(s.Store.SetTokenTwoFactor(ctx, tokenID, pending))
}

func (s invalidatingStore) PendOtherLoginTokens(ctx context.Context, userID, keep int64) error {
	return s.after(s.Store.PendOtherLoginTokens(ctx, userID, keep))
}

func (s invalidatingStore) SetSuspension(ctx context.Context, userID int64, t time.Time, reason string) error {
	return s.after(s.Store.SetSuspension(ctx, userID, t, reason))
}

func (s invalidatingStore) SetStaff(ctx context.Context, userID int64, staff bool, t time.Time) error {
	return s.after(s.Store.SetStaff(ctx, userID, staff, t))
}
