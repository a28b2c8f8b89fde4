package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// CreateActivation inserts an activation token and sets its ID.
func (s *Store) CreateActivation(ctx context.Context, a *account.Activation) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO activations (user_id, hash, email, created_at,
		expires_at, used_at, voided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.UserID, a.Hash, a.Email, micros(a.CreatedAt), micros(a.ExpiresAt), micros(a.UsedAt),
		micros(a.VoidedAt)).Scan(&a.ID)
	return mapErr(err)
}

// ActivationByHash returns the activation token with the given hash.
func (s *Store) ActivationByHash(ctx context.Context, hash []byte) (account.Activation, error) {
	var a account.Activation
	var created, expires, used, voided sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, hash, email, created_at, expires_at, used_at,
		voided_at FROM activations WHERE hash = ?`, hash).
		Scan(&a.ID, &a.UserID, &a.Hash, &a.Email, &created, &expires, &used, &voided)
	if err != nil {
		return a, mapErr(err)
	}
	a.CreatedAt, a.ExpiresAt = fromMicros(created), fromMicros(expires)
	a.UsedAt, a.VoidedAt = fromMicros(used), fromMicros(voided)
	return a, nil
}

// UseActivation marks an outstanding activation token used.
func (s *Store) UseActivation(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE activations SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), id)
}

// VoidActivations voids every outstanding activation token of the user.
func (s *Store) VoidActivations(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE activations SET voided_at = ?
		WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), userID)
}
