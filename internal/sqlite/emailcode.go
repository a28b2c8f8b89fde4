package sqlite

import (
	"context"
	"database/sql"

	"github.com/accountd/accountd/internal/account"
)

// SetEmailCode stores the code of a token, replacing any earlier one.
func (s *Store) SetEmailCode(ctx context.Context, c account.EmailCode) error {
	return s.exec(ctx, false, `INSERT INTO twofa_email_codes (token_id, user_id, code_hmac, sent_at, expires_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (token_id) DO UPDATE SET code_hmac = excluded.code_hmac,
		sent_at = excluded.sent_at, expires_at = excluded.expires_at`,
		c.TokenID, c.UserID, c.Hash, micros(c.SentAt), micros(c.ExpiresAt))
}

// EmailCode returns the code of a token.
func (s *Store) EmailCode(ctx context.Context, tokenID int64) (account.EmailCode, error) {
	var c account.EmailCode
	var sent, expires sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT token_id, user_id, code_hmac, sent_at, expires_at
		FROM twofa_email_codes WHERE token_id = ?`, tokenID).Scan(&c.TokenID, &c.UserID, &c.Hash, &sent, &expires)
	if err != nil {
		return c, mapErr(err)
	}
	c.SentAt, c.ExpiresAt = fromMicros(sent), fromMicros(expires)
	return c, nil
}

// DeleteEmailCode deletes the code of a token.
func (s *Store) DeleteEmailCode(ctx context.Context, tokenID int64) (bool, error) {
	return s.changed(ctx, `DELETE FROM twofa_email_codes WHERE token_id = ?`, tokenID)
}
