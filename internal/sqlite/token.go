package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const tokenColumns = `id, user_id, kind, hash, label, prefix, created_at, updated_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (account.Token, error) {
	var t account.Token
	var kind string
	var created, updated, revoked sql.NullInt64
	err := row.Scan(&t.ID, &t.UserID, &kind, &t.Hash, &t.Label, &t.Prefix, &created, &updated, &revoked)
	if err != nil {
		return t, mapErr(err)
	}
	t.Kind, t.CreatedAt, t.RevokedAt = account.TokenKind(kind), fromMicros(created), fromMicros(revoked)
	t.UpdatedAt = fromMicros(updated)
	return t, nil
}

// CreateToken inserts a token and sets its ID.
func (s *Store) CreateToken(ctx context.Context, t *account.Token) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO tokens (user_id, kind, hash, label, prefix,
		created_at, updated_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UserID, string(t.Kind), t.Hash, t.Label, t.Prefix, micros(t.CreatedAt), micros(t.UpdatedAt),
		micros(t.RevokedAt)).Scan(&t.ID)
	return mapErr(err)
}

// TokenByHash returns the token with the given hash, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (account.Token, error) {
	return scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
}

// RevokeToken revokes one token.
func (s *Store) RevokeToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(t), id)
}

// RevokeTokens revokes the user's valid tokens of the given kinds but keep.
func (s *Store) RevokeTokens(ctx context.Context, userID, keep int64, kinds []account.TokenKind, t time.Time) error {
	if len(kinds) == 0 {
		return nil
	}
	args := []any{micros(t), userID, keep}
	for _, k := range kinds {
		args = append(args, string(k))
	}
	marks := strings.Repeat(", ?", len(kinds))[2:]
	return s.exec(ctx, false, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND id != ?
		AND revoked_at IS NULL AND kind IN (`+marks+`)`, args...)
}
