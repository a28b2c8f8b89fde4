package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// CreateEmailChange inserts a pending change of address and sets its ID.
func (s *Store) CreateEmailChange(ctx context.Context, c *account.EmailChange) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO email_changes (user_id, hash, new_email, created_at,
		expires_at, used_at, voided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.UserID, c.Hash, c.NewEmail, micros(c.CreatedAt), micros(c.ExpiresAt), micros(c.UsedAt),
		micros(c.VoidedAt)).Scan(&c.ID)
	return mapErr(err)
}

// EmailChangeByHash returns the change of address with the given code hash.
func (s *Store) EmailChangeByHash(ctx context.Context, hash []byte) (account.EmailChange, error) {
	var c account.EmailChange
	var created, expires, used, voided sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, user_id, hash, new_email, created_at, expires_at,
		used_at, voided_at FROM email_changes WHERE hash = ?`, hash).
		Scan(&c.ID, &c.UserID, &c.Hash, &c.NewEmail, &created, &expires, &used, &voided)
	if err != nil {
		return c, mapErr(err)
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	c.UsedAt, c.VoidedAt = fromMicros(used), fromMicros(voided)
	return c, nil
}

// UseEmailChange marks an outstanding code used.
func (s *Store) UseEmailChange(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE email_changes SET used_at = ?
		WHERE id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), id)
}

// VoidEmailChanges voids every outstanding code of the user.
func (s *Store) VoidEmailChanges(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE email_changes SET voided_at = ?
		WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL`, micros(t), userID)
}
