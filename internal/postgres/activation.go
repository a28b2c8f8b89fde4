package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// CreateActivation inserts an activation token and sets its ID.
func (s *Store) CreateActivation(ctx context.Context, a *account.Activation) error {
	err := s.q.QueryRow(ctx, `INSERT INTO activations (user_id, hash, email, created_at,
		expires_at, used_at, voided_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.UserID, a.Hash, a.Email, tstz(a.CreatedAt), tstz(a.ExpiresAt), tstz(a.UsedAt),
		tstz(a.VoidedAt)).Scan(&a.ID)
	return mapErr(err)
}

// ActivationByHash returns the activation token with the given hash.
func (s *Store) ActivationByHash(ctx context.Context, hash []byte) (account.Activation, error) {
	var a account.Activation
	var created, expires, used, voided pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT id, user_id, hash, email, created_at, expires_at, used_at,
		voided_at FROM activations WHERE hash = $1`, hash).
		Scan(&a.ID, &a.UserID, &a.Hash, &a.Email, &created, &expires, &used, &voided)
	if err != nil {
		return account.Activation{}, mapErr(err)
	}
	a.CreatedAt, a.ExpiresAt = fromTstz(created), fromTstz(expires)
	a.UsedAt, a.VoidedAt = fromTstz(used), fromTstz(voided)
	return a, nil
}

// UseActivation marks an outstanding activation token used.
func (s *Store) UseActivation(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE activations SET used_at = $1
		WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), id)
}

// VoidActivations voids every outstanding activation token of the user.
func (s *Store) VoidActivations(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE activations SET voided_at = $1
		WHERE user_id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), userID)
}
