package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const tokenColumns = `id, user_id, kind, hash, label, prefix, created_at, updated_at, revoked_at,
	last_used_at, ip, user_agent, twofa_pending`

func scanToken(row interface{ Scan(...any) error }) (account.Token, error) {
	var t account.Token
	var kind string
	var created, updated, revoked, used pgtype.Timestamptz
	err := row.Scan(&t.ID, &t.UserID, &kind, &t.Hash, &t.Label, &t.Prefix, &created, &updated, &revoked,
		&used, &t.IP, &t.UserAgent, &t.TwoFactorPending)
	if err != nil {
		return account.Token{}, mapErr(err)
	}
	t.Kind, t.CreatedAt, t.RevokedAt = account.TokenKind(kind), fromTstz(created), fromTstz(revoked)
	t.UpdatedAt, t.LastUsedAt = fromTstz(updated), fromTstz(used)
	return t, nil
}

// CreateToken inserts a token and sets its ID.
func (s *Store) CreateToken(ctx context.Context, t *account.Token) error {
	err := s.q.QueryRow(ctx, `INSERT INTO tokens (user_id, kind, hash, label, prefix,
		created_at, updated_at, revoked_at, last_used_at, ip, user_agent, twofa_pending)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		t.UserID, string(t.Kind), t.Hash, t.Label, t.Prefix, tstz(t.CreatedAt), tstz(t.UpdatedAt),
		tstz(t.RevokedAt), tstz(t.LastUsedAt), t.IP, t.UserAgent, t.TwoFactorPending).Scan(&t.ID)
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

// TouchToken records the token's use at at unless the stored use is after
// staleBefore.
func (s *Store) TouchToken(ctx context.Context, id int64, at, staleBefore time.Time) error {
	return s.exec(ctx, false, `UPDATE tokens SET last_used_at = $1 WHERE id = $2
		AND (last_used_at IS NULL OR last_used_at <= $3)`, tstz(at), id, tstz(staleBefore))
}

// liveLogin selects the valid login tokens of user $1, created after $2 and
// last used after $3 (NULL: no bound).
const liveLogin = `FROM tokens WHERE user_id = $1 AND kind = 'login' AND revoked_at IS NULL
	AND ($2::timestamptz IS NULL OR created_at > $2)
	AND ($3::timestamptz IS NULL OR coalesce(last_used_at, created_at) > $3)`

// LoginTokens lists the user's live login tokens, newest first, and counts
// them. A negative limit means no limit and a negative offset none.
func (s *Store) LoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, offset, n int) ([]account.Token, int, error) {
	args := []any{userID, tstz(createdAfter), tstz(usedAfter)}
	var count int
	if err := s.q.QueryRow(ctx, `SELECT count(*) `+liveLogin, args...).Scan(&count); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.q.Query(ctx, `SELECT `+tokenColumns+` `+liveLogin+` ORDER BY id DESC LIMIT $4 OFFSET $5`,
		append(args, limit(n), max(offset, 0))...)
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

// LoginToken returns a valid login token of the user.
func (s *Store) LoginToken(ctx context.Context, userID, id int64) (account.Token, error) {
	return scanToken(s.q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1
		AND user_id = $2 AND kind = 'login' AND revoked_at IS NULL`, id, userID))
}

// RevokeOldLoginTokens revokes the user's login tokens but the newest keep
// of those live by the bounds (as LoginTokens reads them): the live ones
// beyond keep and every expired one not yet revoked. It returns how many
// live ones it revoked; the expired had already ended, and counting them
// would report sessions the owner never saw as dropped by the cap.
func (s *Store) RevokeOldLoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, keep int, t time.Time) (int, error) {
	args := []any{userID, tstz(createdAfter), tstz(usedAfter), tstz(t)}
	tag, err := s.q.Exec(ctx, `UPDATE tokens SET revoked_at = $4 WHERE id IN (SELECT id `+liveLogin+`
		ORDER BY id DESC OFFSET $5)`, append(args, keep)...)
	if err != nil {
		return 0, mapErr(err)
	}
	// The expired: the same tokens as liveLogin's but failing a bound.
	if _, err := s.q.Exec(ctx, `UPDATE tokens SET revoked_at = $4 WHERE user_id = $1 AND kind = 'login'
		AND revoked_at IS NULL AND NOT (($2::timestamptz IS NULL OR created_at > $2)
		AND ($3::timestamptz IS NULL OR coalesce(last_used_at, created_at) > $3))`, args...); err != nil {
		return 0, mapErr(err)
	}
	return int(tag.RowsAffected()), nil
}
