package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// SetEmailCode stores the code of a token, replacing any earlier one.
func (s *Store) SetEmailCode(ctx context.Context, c account.EmailCode) error {
	return s.exec(ctx, false, `INSERT INTO twofa_email_codes (token_id, user_id, code_hmac, sent_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_id) DO UPDATE SET code_hmac = excluded.code_hmac,
		sent_at = excluded.sent_at, expires_at = excluded.expires_at`,
		c.TokenID, c.UserID, c.Hash, tstz(c.SentAt), tstz(c.ExpiresAt))
}

// EmailCode returns the code of a token.
func (s *Store) EmailCode(ctx context.Context, tokenID int64) (account.EmailCode, error) {
	var c account.EmailCode
	var sent, expires pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT token_id, user_id, code_hmac, sent_at, expires_at
		FROM twofa_email_codes WHERE token_id = $1`, tokenID).Scan(&c.TokenID, &c.UserID, &c.Hash, &sent, &expires)
	if err != nil {
		return c, mapErr(err)
	}
	c.SentAt, c.ExpiresAt = fromTstz(sent), fromTstz(expires)
	return c, nil
}

// DeleteEmailCode deletes the code of a token.
func (s *Store) DeleteEmailCode(ctx context.Context, tokenID int64) (bool, error) {
	return s.changed(ctx, `DELETE FROM twofa_email_codes WHERE token_id = $1`, tokenID)
}
