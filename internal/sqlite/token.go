package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const tokenColumns = `id, user_id, kind, hash, label, prefix, created_at, updated_at, revoked_at,
	last_used_at, ip, user_agent, twofa_pending`

func scanToken(row interface{ Scan(...any) error }) (account.Token, error) {
	var t account.Token
	var kind string
	var created, updated, revoked, used sql.NullInt64
	err := row.Scan(&t.ID, &t.UserID, &kind, &t.Hash, &t.Label, &t.Prefix, &created, &updated, &revoked,
		&used, &t.IP, &t.UserAgent, &t.TwoFactorPending)
	if err != nil {
		return t, mapErr(err)
	}
	t.Kind, t.CreatedAt, t.RevokedAt = account.TokenKind(kind), fromMicros(created), fromMicros(revoked)
	t.UpdatedAt, t.LastUsedAt = fromMicros(updated), fromMicros(used)
	return t, nil
}

// CreateToken inserts a token and sets its ID.
func (s *Store) CreateToken(ctx context.Context, t *account.Token) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO tokens (user_id, kind, hash, label, prefix,
		created_at, updated_at, revoked_at, last_used_at, ip, user_agent, twofa_pending)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UserID, string(t.Kind), t.Hash, t.Label, t.Prefix, micros(t.CreatedAt), micros(t.UpdatedAt),
		micros(t.RevokedAt), micros(t.LastUsedAt), t.IP, t.UserAgent, t.TwoFactorPending).Scan(&t.ID)
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

// TouchToken records the token's use at at unless the stored use is after
// staleBefore.
func (s *Store) TouchToken(ctx context.Context, id int64, at, staleBefore time.Time) error {
	return s.exec(ctx, false, `UPDATE tokens SET last_used_at = ? WHERE id = ?
		AND (last_used_at IS NULL OR last_used_at <= ?)`, micros(at), id, micros(staleBefore))
}

// liveLogin selects the valid login tokens of user ?, created after ? and
// last used after ? (NULL: no bound; the bounds are passed twice).
const liveLogin = `FROM tokens WHERE user_id = ? AND kind = 'login' AND revoked_at IS NULL
	AND (? IS NULL OR created_at > ?) AND (? IS NULL OR coalesce(last_used_at, created_at) > ?)`

// LoginTokens lists the user's live login tokens, newest first, and counts them.
func (s *Store) LoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, offset, limit int) ([]account.Token, int, error) {
	c, u := micros(createdAfter), micros(usedAfter)
	args := []any{userID, c, c, u, u}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) `+liveLogin, args...).Scan(&n); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` `+liveLogin+`
		ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
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

// LoginToken returns a valid login token of the user.
func (s *Store) LoginToken(ctx context.Context, userID, id int64) (account.Token, error) {
	return scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = ?
		AND user_id = ? AND kind = 'login' AND revoked_at IS NULL`, id, userID))
}

// RevokeOldLoginTokens revokes the user's login tokens but the newest keep
// of those live by the bounds (as LoginTokens reads them): the live ones
// beyond keep and every expired one not yet revoked. It returns how many
// live ones it revoked; the expired had already ended, and counting them
// would report sessions the owner never saw as dropped by the cap.
func (s *Store) RevokeOldLoginTokens(ctx context.Context, userID int64, createdAfter, usedAfter time.Time, keep int, t time.Time) (int, error) {
	c, u := micros(createdAfter), micros(usedAfter)
	res, err := s.write.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE id IN (SELECT id `+liveLogin+`
		ORDER BY id DESC LIMIT -1 OFFSET ?)`, micros(t), userID, c, c, u, u, keep)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	// The expired: the same tokens as liveLogin's but failing a bound.
	if _, err := s.write.ExecContext(ctx, `UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND kind = 'login'
		AND revoked_at IS NULL AND NOT ((? IS NULL OR created_at > ?)
		AND (? IS NULL OR coalesce(last_used_at, created_at) > ?))`, micros(t), userID, c, c, u, u); err != nil {
		return 0, mapErr(err)
	}
	return int(n), nil
}
