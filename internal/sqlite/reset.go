package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// CreateResetToken inserts a reset token and sets its ID.
func (s *Store) CreateResetToken(ctx context.Context, r *account.ResetToken) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO reset_tokens (user_id, hash, email, created_at,
		expires_at, used_at, voided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.UserID, r.Hash, r.Email, micros(r.CreatedAt), micros(r.ExpiresAt), micros(r.UsedAt),
		micros(r.VoidedAt)).Scan(&r.ID)
	return mapErr(err)
}

// ResetTokenByHash returns the reset token with the given hash.
func (s *Store) ResetTokenByHash(ctx context.Context, hash []byte) (account.ResetToken, error) {
	var r account.ResetToken
	var created, expires, used, voided sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, hash, email, created_at, expires_at,
		used_at, voided_at FROM reset_tokens WHERE hash = ?`, hash).
		Scan(&r.ID, &r.UserID, &r.Hash, &r.Email, &created, &expires, &used, &voided)
	if err != nil {
		return r, mapErr(err)
	}
	r.CreatedAt, r.ExpiresAt = fromMicros(created), fromMicros(expires)
	r.UsedAt, r.VoidedAt = fromMicros(used), fromMicros(voided)
	return r, nil
}

// LockUser is a no-op on SQLite: a write transaction already holds the one
// write lock of the database.
func (s *Store) LockUser(ctx context.Context, userID int64) error { return nil }

// UseResetToken marks an outstanding token used; the condition in the
// statement makes exactly one of concurrent callers win.
func (s *Store) UseResetToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE reset_tokens SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), id)
}

// VoidResetTokens voids every outstanding reset token of the user.
func (s *Store) VoidResetTokens(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE reset_tokens SET voided_at = ?
		WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), userID)
}

// VoidResetToken voids one outstanding reset token.
func (s *Store) VoidResetToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE reset_tokens SET voided_at = ?
		WHERE id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), id)
}

// CountResetTokens counts the user's reset tokens created since t.
func (s *Store) CountResetTokens(ctx context.Context, userID int64, since time.Time) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM reset_tokens
		WHERE user_id = ? AND created_at >= ?`, userID, since.UnixMicro()).Scan(&n)
	return n, mapErr(err)
}
