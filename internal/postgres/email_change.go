package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// CreateEmailChange inserts a pending change of address and sets its ID.
func (s *Store) CreateEmailChange(ctx context.Context, c *account.EmailChange) error {
	err := s.q.QueryRow(ctx, `INSERT INTO email_changes (user_id, hash, new_email, created_at,
		expires_at, used_at, voided_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.UserID, c.Hash, c.NewEmail, tstz(c.CreatedAt), tstz(c.ExpiresAt), tstz(c.UsedAt),
		tstz(c.VoidedAt)).Scan(&c.ID)
	return mapErr(err)
}

// EmailChangeByHash returns the change of address with the given code hash.
func (s *Store) EmailChangeByHash(ctx context.Context, hash []byte) (account.EmailChange, error) {
	var c account.EmailChange
	var created, expires, used, voided pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT id, user_id, hash, new_email, created_at, expires_at,
		used_at, voided_at FROM email_changes WHERE hash = $1`, hash).
		Scan(&c.ID, &c.UserID, &c.Hash, &c.NewEmail, &created, &expires, &used, &voided)
	if err != nil {
		return account.EmailChange{}, mapErr(err)
	}
	c.CreatedAt, c.ExpiresAt = fromTstz(created), fromTstz(expires)
	c.UsedAt, c.VoidedAt = fromTstz(used), fromTstz(voided)
	return c, nil
}

// UseEmailChange marks an outstanding code used. As with UseResetToken, of
// concurrent callers exactly one wins under READ COMMITTED.
func (s *Store) UseEmailChange(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE email_changes SET used_at = $1
		WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), id)
}

// VoidEmailChanges voids every outstanding code of the user.
func (s *Store) VoidEmailChanges(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE email_changes SET voided_at = $1
		WHERE user_id = $2 AND used_at IS NULL AND voided_at IS NULL`, tstz(t), userID)
}
