package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// CreateResetToken inserts a reset token and sets its ID.
func (s *Store) CreateResetToken(ctx context.Context, r *account.ResetToken) error {
	err := s.q.QueryRow(ctx, `INSERT INTO reset_tokens (user_id, hash, email, created_at,
		expires_at, used_at, voided_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.UserID, r.Hash, r.Email, tstz(r.CreatedAt), tstz(r.ExpiresAt), tstz(r.UsedAt),
		tstz(r.VoidedAt)).Scan(&r.ID)
	return mapErr(err)
}

// ResetTokenByHash returns the reset token with the given hash.
func (s *Store) ResetTokenByHash(ctx context.Context, hash []byte) (account.ResetToken, error) {
	var r account.ResetToken
	var created, expires, used, voided pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT id, user_id, hash, email, created_at, expires_at,
		used_at, voided_at FROM reset_tokens WHERE hash = $1`, hash).
		Scan(&r.ID, &r.UserID, &r.Hash, &r.Email, &created, &expires, &used, &voided)
	if err != nil {
		return account.ResetToken{}, mapErr(err)
	}
	r.CreatedAt, r.ExpiresAt = fromTstz(created), fromTstz(expires)
	r.UsedAt, r.VoidedAt = fromTstz(used), fromTstz(voided)
	return r, nil
}

// UseResetToken marks an outstanding token used. Under READ COMMITTED a
// concurrent caller waits for the winner's row lock and then re-checks the
// condition on the row the winner wrote, so exactly one caller wins.
func (s *Store) UseResetToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE reset_tokens SET used_at = $1
		WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), id)
}

// VoidResetTokens voids every outstanding reset token of the user.
func (s *Store) VoidResetTokens(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE reset_tokens SET voided_at = $1
		WHERE user_id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), userID)
}

// VoidResetToken voids one outstanding reset token.
func (s *Store) VoidResetToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE reset_tokens SET voided_at = $1
		WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), id)
}

// LockUser locks the user's row until the transaction ends.
func (s *Store) LockUser(ctx context.Context, userID int64) error {
	var id int64
	return mapErr(s.q.QueryRow(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&id))
}

// CountResetTokens counts the user's reset tokens created since t (every
// token when t is zero).
func (s *Store) CountResetTokens(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM reset_tokens
		WHERE user_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)`, userID, tstz(since)).Scan(&n)
	return n, mapErr(err)
}
