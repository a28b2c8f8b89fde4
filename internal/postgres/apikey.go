package postgres

import (
	"context"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// APIKeys lists the user's valid API keys, oldest first, and counts them. A
// negative limit means no limit and a negative offset none, as in SQLite,
// where PostgreSQL would reject them.
func (s *Store) APIKeys(ctx context.Context, userID int64, offset, n int) ([]account.Token, int, error) {
	var count int
	if err := s.q.QueryRow(ctx, `SELECT count(*) FROM tokens WHERE user_id = $1 AND kind = 'apikey'
		AND revoked_at IS NULL`, userID).Scan(&count); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.q.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE user_id = $1
		AND kind = 'apikey' AND revoked_at IS NULL ORDER BY id LIMIT $2 OFFSET $3`,
		userID, limit(n), max(offset, 0))
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
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr(err)
	}
	return out, count, nil
}

// APIKey returns a valid API key of the user.
func (s *Store) APIKey(ctx context.Context, userID, id int64) (account.Token, error) {
	return scanToken(s.q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1
		AND user_id = $2 AND kind = 'apikey' AND revoked_at IS NULL`, id, userID))
}

// SetTokenLabel changes a valid API key's label.
func (s *Store) SetTokenLabel(ctx context.Context, id int64, label string, t time.Time) error {
	return s.exec(ctx, true, `UPDATE tokens SET label = $1, updated_at = $2
		WHERE id = $3 AND kind = 'apikey' AND revoked_at IS NULL`, label, tstz(t), id)
}
