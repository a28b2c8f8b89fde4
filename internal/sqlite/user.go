package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const userColumns = `id, email, email_key, password_hash, first_name, last_name, timezone,
	email_verified, marketing_accepted, created_at, updated_at, last_login,
	password_changed_at, email_changed_at, deleted_at`

func scanUser(row interface{ Scan(...any) error }) (account.User, error) {
	var u account.User
	var created, updated, last, pwChanged, emailChanged, deleted sql.NullInt64
	err := row.Scan(&u.ID, &u.Email, &u.EmailKey, &u.PasswordHash, &u.FirstName, &u.LastName,
		&u.Timezone, &u.EmailVerified, &u.MarketingEmailAccepted, &created, &updated, &last,
		&pwChanged, &emailChanged, &deleted)
	if err != nil {
		return u, mapErr(err)
	}
	u.CreatedAt, u.UpdatedAt, u.LastLogin = fromMicros(created), fromMicros(updated), fromMicros(last)
	u.PasswordChangedAt, u.EmailChangedAt = fromMicros(pwChanged), fromMicros(emailChanged)
	u.DeletedAt = fromMicros(deleted)
	return u, nil
}

// CreateUser inserts a user and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *account.User) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO users (email, email_key, password_hash,
		first_name, last_name, timezone, email_verified, marketing_accepted, created_at,
		updated_at, last_login, password_changed_at, email_changed_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Email, u.EmailKey, u.PasswordHash, u.FirstName, u.LastName, u.Timezone,
		u.EmailVerified, u.MarketingEmailAccepted, micros(u.CreatedAt), micros(u.UpdatedAt),
		micros(u.LastLogin), micros(u.PasswordChangedAt), micros(u.EmailChangedAt),
		micros(u.DeletedAt)).Scan(&u.ID)
	return mapErr(err)
}

// UserByID returns the user with the given id.
func (s *Store) UserByID(ctx context.Context, id int64) (account.User, error) {
	return scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByEmailKey returns the user whose normalised address is key.
func (s *Store) UserByEmailKey(ctx context.Context, key string) (account.User, error) {
	return scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = ?`, key))
}

// SetPassword stores a new password hash and when it changed.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET password_hash = ?, password_changed_at = ?, updated_at = ?
		WHERE id = ?`, hash, micros(changedAt), micros(changedAt), userID)
}

// RehashPassword replaces the hash of the same password.
func (s *Store) RehashPassword(ctx context.Context, userID int64, hash string) error {
	return s.exec(ctx, true, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
}

// UpdateProfile stores the writable profile fields.
func (s *Store) UpdateProfile(ctx context.Context, u account.User) error {
	return s.exec(ctx, true, `UPDATE users SET first_name = ?, last_name = ?, timezone = ?,
		updated_at = ? WHERE id = ?`, u.FirstName, u.LastName, u.Timezone, micros(u.UpdatedAt), u.ID)
}

// SetLastLogin records a login.
func (s *Store) SetLastLogin(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET last_login = ? WHERE id = ?`, micros(t), userID)
}

// SetEmailVerified marks the user's address verified.
func (s *Store) SetEmailVerified(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?`,
		micros(t), userID)
}
