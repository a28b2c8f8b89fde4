package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const methodColumns = `id, user_id, type, active, secret_sealed, last_used_step, created_at, updated_at`

func scanMethod(row interface{ Scan(...any) error }) (account.TwoFactorMethod, error) {
	var m account.TwoFactorMethod
	var created, updated sql.NullInt64
	err := row.Scan(&m.ID, &m.UserID, &m.Type, &m.Active, &m.SecretSealed, &m.LastStep, &created, &updated)
	if err != nil {
		return m, mapErr(err)
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	return m, nil
}

// CreateTwoFactorMethod inserts a method and sets its ID.
func (s *Store) CreateTwoFactorMethod(ctx context.Context, m *account.TwoFactorMethod) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO twofa_methods (user_id, type, active, secret_sealed,
		last_used_step, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.UserID, m.Type, m.Active, m.SecretSealed, m.LastStep, micros(m.CreatedAt), micros(m.UpdatedAt)).Scan(&m.ID)
	return mapErr(err)
}

// TwoFactorMethod returns one method of the user.
func (s *Store) TwoFactorMethod(ctx context.Context, userID, id int64) (account.TwoFactorMethod, error) {
	return scanMethod(s.read.QueryRowContext(ctx, `SELECT `+methodColumns+` FROM twofa_methods
		WHERE id = ? AND user_id = ?`, id, userID))
}

// ActiveTwoFactorMethod returns the user's active method.
func (s *Store) ActiveTwoFactorMethod(ctx context.Context, userID int64) (account.TwoFactorMethod, error) {
	return scanMethod(s.read.QueryRowContext(ctx, `SELECT `+methodColumns+` FROM twofa_methods
		WHERE user_id = ? AND active = 1`, userID))
}

// SetActiveTwoFactorMethod deactivates the user's methods, then activates id.
func (s *Store) SetActiveTwoFactorMethod(ctx context.Context, userID, id, lastStep int64, t time.Time) error {
	if err := s.exec(ctx, false, `UPDATE twofa_methods SET active = 0, updated_at = ?
		WHERE user_id = ? AND active = 1`, micros(t), userID); err != nil {
		return err
	}
	if id == 0 {
		return nil
	}
	return s.exec(ctx, true, `UPDATE twofa_methods SET active = 1, last_used_step = ?, updated_at = ?
		WHERE id = ? AND user_id = ?`, lastStep, micros(t), id, userID)
}

// AdvanceTOTPStep is the compare-and-set on the last accepted step.
func (s *Store) AdvanceTOTPStep(ctx context.Context, methodID, step int64) (bool, error) {
	return s.changed(ctx, `UPDATE twofa_methods SET last_used_step = ?
		WHERE id = ? AND last_used_step < ?`, step, methodID, step)
}

// SetTokenTwoFactor marks a token pending or verified.
func (s *Store) SetTokenTwoFactor(ctx context.Context, tokenID int64, pending bool) error {
	return s.exec(ctx, true, `UPDATE tokens SET twofa_pending = ?,
		twofa_failures = CASE WHEN ? THEN twofa_failures ELSE 0 END WHERE id = ?`, pending, pending, tokenID)
}

// PendOtherLoginTokens makes the user's other valid login tokens pending.
func (s *Store) PendOtherLoginTokens(ctx context.Context, userID, keep int64) error {
	return s.exec(ctx, false, `UPDATE tokens SET twofa_pending = 1 WHERE user_id = ? AND id != ?
		AND kind = 'login' AND revoked_at IS NULL`, userID, keep)
}

// AddTokenTwoFactorFailure counts a wrong code on a token.
func (s *Store) AddTokenTwoFactorFailure(ctx context.Context, tokenID int64) (int, error) {
	var n int
	err := s.write.QueryRowContext(ctx, `UPDATE tokens SET twofa_failures = twofa_failures + 1
		WHERE id = ? RETURNING twofa_failures`, tokenID).Scan(&n)
	return n, mapErr(err)
}

// ReplaceRecoveryCodes replaces the user's recovery codes.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, t time.Time) error {
	if err := s.exec(ctx, false, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if err := s.exec(ctx, false, `INSERT INTO recovery_codes (user_id, code_hash, created_at)
			VALUES (?, ?, ?)`, userID, h, micros(t)); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code of the user used.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, t time.Time) (bool, error) {
	return s.changed(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ?
		AND used_at IS NULL`, micros(t), userID, hash)
}

// CountRecoveryCodes counts the user's unused recovery codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ?
		AND used_at IS NULL`, userID).Scan(&n)
	return n, mapErr(err)
}

// TwoFactorFailures returns the user's consecutive wrong codes.
func (s *Store) TwoFactorFailures(ctx context.Context, userID int64) (int, time.Time, error) {
	var n int
	var at sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT twofa_failures, twofa_failed_at FROM users WHERE id = ?`,
		userID).Scan(&n, &at)
	return n, fromMicros(at), mapErr(err)
}

// RecordTwoFactorFailure counts one more wrong code of the user.
func (s *Store) RecordTwoFactorFailure(ctx context.Context, userID int64, t time.Time) (int, error) {
	var n int
	err := s.write.QueryRowContext(ctx, `UPDATE users SET twofa_failures = twofa_failures + 1,
		twofa_failed_at = ? WHERE id = ? RETURNING twofa_failures`, micros(t), userID).Scan(&n)
	return n, mapErr(err)
}

// ClearTwoFactorFailures resets the user's count.
func (s *Store) ClearTwoFactorFailures(ctx context.Context, userID int64) error {
	return s.exec(ctx, false, `UPDATE users SET twofa_failures = 0 WHERE id = ?`, userID)
}

// changed runs an update and reports whether it changed a row.
func (s *Store) changed(ctx context.Context, query string, args ...any) (bool, error) {
	res, err := s.write.ExecContext(ctx, query, args...)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
