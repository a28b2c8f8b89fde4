package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const tokenColumns = `id, user_id, kind, hash, label, prefix, created_at, updated_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (account.Token, error) {
	var t account.Token
	var kind string
	var created, updated, revoked pgtype.Timestamptz
	err := row.Scan(&t.ID, &t.UserID, &kind, &t.Hash, &t.Label, &t.Prefix, &created, &updated, &revoked)
	if err != nil {
		return account.Token{}, mapErr(err)
	}
	t.Kind, t.CreatedAt, t.RevokedAt = account.TokenKind(kind), fromTstz(created), fromTstz(revoked)
	t.UpdatedAt = fromTstz(updated)
	return t, nil
}

// CreateToken inserts a token and sets its ID.
func (s *Store) CreateToken(ctx context.Context, t *account.Token) error {
	err := s.q.QueryRow(ctx, `INSERT INTO tokens (user_id, kind, hash, label, prefix,
		created_at, updated_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.UserID, string(t.Kind), t.Hash, t.Label, t.Prefix, tstz(t.CreatedAt), tstz(t.UpdatedAt),
		tstz(t.RevokedAt)).Scan(&t.ID)
	return mapErr(err)
}

// TokenByHash returns the token with the given hash, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (account.Token, error) {
	return scanToken(s.q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
}

// RevokeToken revokes one token.
func (s *Store) RevokeToken(ctx context.Context, id int64, t time.Time) error {
	return s.exec(ctx, false, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, tstz(t), id)
}

// RevokeTokens revokes the user's valid tokens of the given kinds but keep.
func (s *Store) RevokeTokens(ctx context.Context, userID, keep int64, kinds []account.TokenKind, t time.Time) error {
	if len(kinds) == 0 {
		return nil
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return s.exec(ctx, false, `UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND id <> $3
		AND revoked_at IS NULL AND kind = ANY($4)`, tstz(t), userID, keep, names)
}
