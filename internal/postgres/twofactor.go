package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const methodColumns = `id, user_id, type, active, secret_sealed, last_used_step, created_at, updated_at`

func scanMethod(row interface{ Scan(...any) error }) (account.TwoFactorMethod, error) {
	var m account.TwoFactorMethod
	var created, updated pgtype.Timestamptz
	err := row.Scan(&m.ID, &m.UserID, &m.Type, &m.Active, &m.SecretSealed, &m.LastStep, &created, &updated)
	if err != nil {
		return m, mapErr(err)
	}
	m.CreatedAt, m.UpdatedAt = fromTstz(created), fromTstz(updated)
	return m, nil
}

// CreateTwoFactorMethod inserts a method and sets its ID.
func (s *Store) CreateTwoFactorMethod(ctx context.Context, m *account.TwoFactorMethod) error {
	err := s.q.QueryRow(ctx, `INSERT INTO twofa_methods (user_id, type, active, secret_sealed,
		last_used_step, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		m.UserID, m.Type, m.Active, m.SecretSealed, m.LastStep, tstz(m.CreatedAt), tstz(m.UpdatedAt)).Scan(&m.ID)
	return mapErr(err)
}

// TwoFactorMethod returns one method of the user.
func (s *Store) TwoFactorMethod(ctx context.Context, userID, id int64) (account.TwoFactorMethod, error) {
	return scanMethod(s.q.QueryRow(ctx, `SELECT `+methodColumns+` FROM twofa_methods
		WHERE id = $1 AND user_id = $2`, id, userID))
}

// ActiveTwoFactorMethod returns the user's active method.
func (s *Store) ActiveTwoFactorMethod(ctx context.Context, userID int64) (account.TwoFactorMethod, error) {
	return scanMethod(s.q.QueryRow(ctx, `SELECT `+methodColumns+` FROM twofa_methods
		WHERE user_id = $1 AND active`, userID))
}

// SetActiveTwoFactorMethod deactivates the user's methods, then activates id.
func (s *Store) SetActiveTwoFactorMethod(ctx context.Context, userID, id, lastStep int64, t time.Time) error {
	if err := s.exec(ctx, false, `UPDATE twofa_methods SET active = false, updated_at = $1
		WHERE user_id = $2 AND active`, tstz(t), userID); err != nil {
		return err
	}
	if id == 0 {
		return nil
	}
	return s.exec(ctx, true, `UPDATE twofa_methods SET active = true, last_used_step = $1, updated_at = $2
		WHERE id = $3 AND user_id = $4`, lastStep, tstz(t), id, userID)
}

// AdvanceTOTPStep is the compare-and-set on the last accepted step.
func (s *Store) AdvanceTOTPStep(ctx context.Context, methodID, step int64) (bool, error) {
	return s.changed(ctx, `UPDATE twofa_methods SET last_used_step = $1
		WHERE id = $2 AND last_used_step < $3`, step, methodID, step)
}

// SetTokenTwoFactor marks a token pending or verified.
func (s *Store) SetTokenTwoFactor(ctx context.Context, tokenID int64, pending bool) error {
	return s.exec(ctx, true, `UPDATE tokens SET twofa_pending = $1,
		twofa_failures = CASE WHEN $2::boolean THEN twofa_failures ELSE 0 END WHERE id = $3`, pending, pending, tokenID)
}

// PendOtherLoginTokens makes the user's other valid login tokens pending.
func (s *Store) PendOtherLoginTokens(ctx context.Context, userID, keep int64) error {
	return s.exec(ctx, false, `UPDATE tokens SET twofa_pending = true WHERE user_id = $1 AND id <> $2
		AND kind = 'login' AND revoked_at IS NULL`, userID, keep)
}

// AddTokenTwoFactorFailure counts a wrong code on a token.
func (s *Store) AddTokenTwoFactorFailure(ctx context.Context, tokenID int64) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `UPDATE tokens SET twofa_failures = twofa_failures + 1
		WHERE id = $1 RETURNING twofa_failures`, tokenID).Scan(&n)
	return n, mapErr(err)
}

// ReplaceRecoveryCodes replaces the user's recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, t time.Time) error {
	if err := s.exec(ctx, false, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if err := s.exec(ctx, false, `INSERT INTO recovery_codes (user_id, code_hash, created_at)
			VALUES ($1, $2, $3)`, userID, h, tstz(t)); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code of the user used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, t time.Time) (bool, error) {
	return s.changed(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3
		AND used_at IS NULL`, tstz(t), userID, hash)
}

// CountRecoveryCodes counts the user's unused recovery codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1
		AND used_at IS NULL`, userID).Scan(&n)
	return n, mapErr(err)
}

// TwoFactorFailures returns the user's consecutive wrong codes.
func (s *Store) TwoFactorFailures(ctx context.Context, userID int64) (int, time.Time, error) {
	var n int
	var at pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT twofa_failures, twofa_failed_at FROM users WHERE id = $1`,
		userID).Scan(&n, &at)
	return n, fromTstz(at), mapErr(err)
}

// RecordTwoFactorFailure counts one more wrong code of the user.
func (s *Store) RecordTwoFactorFailure(ctx context.Context, userID int64, t time.Time) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `UPDATE users SET twofa_failures = twofa_failures + 1,
		twofa_failed_at = $1 WHERE id = $2 RETURNING twofa_failures`, tstz(t), userID).Scan(&n)
	return n, mapErr(err)
}

// ClearTwoFactorFailures resets the user's count.
func (s *Store) ClearTwoFactorFailures(ctx context.Context, userID int64) error {
	return s.exec(ctx, false, `UPDATE users SET twofa_failures = 0 WHERE id = $1`, userID)
}

// changed runs an update and reports whether it changed a row.
func (s *Store) changed(ctx context.Context, query string, args ...any) (bool, error) {
	tag, err := s.q.Exec(ctx, query, args...)
	if err != nil {
		return false, mapErr(err)
	}
	return tag.RowsAffected() > 0, nil
}
