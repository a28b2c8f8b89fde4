package sqlite

import (
	"context"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// APIKeys lists the user's valid API keys, oldest first, and counts them.
func (s *Store) APIKeys(ctx context.Context, userID int64, offset, limit int) ([]account.Token, int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE user_id = ? AND kind = 'apikey'
		AND revoked_at IS NULL`, userID).Scan(&n); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE user_id = ?
		AND kind = 'apikey' AND revoked_at IS NULL ORDER BY id LIMIT ? OFFSET ?`, userID, limit, offset)
	if err != nil {
		return nil, 0, mapErr(err)
	}
	defer rows.Close()
	out := []account.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, n, mapErr(rows.Err())
}

// APIKey returns a valid API key of the user.
func (s *Store) APIKey(ctx context.Context, userID, id int64) (account.Token, error) {
	return scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?
		AND user_id = ? AND kind = 'apikey' AND revoked_at IS NULL`, id, userID))
}

// SetTokenLabel changes a valid API key's label.
func (s *Store) SetTokenLabel(ctx context.Context, id int64, label string, t time.Time) error {
	return s.exec(ctx, true, `UPDATE tokens SET label = ?, updated_at = ?
		WHERE id = ? AND kind = 'apikey' AND revoked_at IS NULL`, label, micros(t), id)
}
