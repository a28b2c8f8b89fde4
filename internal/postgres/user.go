package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const userColumns = `id, email, email_key, password_hash, first_name, last_name, timezone,
	email_verified, marketing_accepted, created_at, updated_at, last_login,
	password_changed_at, email_changed_at, deleted_at`

func scanUser(row interface{ Scan(...any) error }) (account.User, error) {
	var u account.User
	var created, updated, last, pwChanged, emailChanged, deleted pgtype.Timestamptz
	err := row.Scan(&u.ID, &u.Email, &u.EmailKey, &u.PasswordHash, &u.FirstName, &u.LastName,
		&u.Timezone, &u.EmailVerified, &u.MarketingEmailAccepted, &created, &updated, &last,
		&pwChanged, &emailChanged, &deleted)
	if err != nil {
		return account.User{}, mapErr(err)
	}
	u.CreatedAt, u.UpdatedAt, u.LastLogin = fromTstz(created), fromTstz(updated), fromTstz(last)
	u.PasswordChangedAt, u.EmailChangedAt = fromTstz(pwChanged), fromTstz(emailChanged)
	u.DeletedAt = fromTstz(deleted)
	return u, nil
}

// CreateUser inserts a user and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *account.User) error {
	err := s.q.QueryRow(ctx, `INSERT INTO users (email, email_key, password_hash,
		first_name, last_name, timezone, email_verified, marketing_accepted, created_at,
		updated_at, last_login, password_changed_at, email_changed_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		u.Email, u.EmailKey, u.PasswordHash, u.FirstName, u.LastName, u.Timezone,
		u.EmailVerified, u.MarketingEmailAccepted, tstz(u.CreatedAt), tstz(u.UpdatedAt),
		tstz(u.LastLogin), tstz(u.PasswordChangedAt), tstz(u.EmailChangedAt),
		tstz(u.DeletedAt)).Scan(&u.ID)
	return mapErr(err)
}

// UserByID returns the user with the given id.
func (s *Store) UserByID(ctx context.Context, id int64) (account.User, error) {
	return scanUser(s.q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserByEmailKey returns the user whose normalised address is key.
func (s *Store) UserByEmailKey(ctx context.Context, key string) (account.User, error) {
	return scanUser(s.q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1`, key))
}

// SetPassword stores a new password hash and when it changed.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2
		WHERE id = $3`, hash, tstz(changedAt), userID)
}

// RehashPassword replaces the hash of the same password.
func (s *Store) RehashPassword(ctx context.Context, userID int64, hash string) error {
	return s.exec(ctx, true, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
}

// UpdateProfile stores the writable profile fields.
func (s *Store) UpdateProfile(ctx context.Context, u account.User) error {
	return s.exec(ctx, true, `UPDATE users SET first_name = $1, last_name = $2, timezone = $3,
		updated_at = $4 WHERE id = $5`, u.FirstName, u.LastName, u.Timezone, tstz(u.UpdatedAt), u.ID)
}

// SetLastLogin records a login.
func (s *Store) SetLastLogin(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET last_login = $1 WHERE id = $2`, tstz(t), userID)
}

// SetEmailVerified marks the user's address verified.
func (s *Store) SetEmailVerified(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET email_verified = true, updated_at = $1 WHERE id = $2`,
		tstz(t), userID)
}
