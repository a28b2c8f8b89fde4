package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const userColumns = `id, email, email_key, password_hash, first_name, last_name, timezone,
	email_verified, marketing_accepted, created_at, updated_at, last_login,
	password_changed_at, email_changed_at, deleted_at, activation_sent_at,
	suspended_at, suspension_reason, staff`

func scanUser(row interface{ Scan(...any) error }) (account.User, error) {
	var u account.User
	var created, updated, last, pwChanged, emailChanged, deleted, activation, suspended pgtype.Timestamptz
	err := row.Scan(&u.ID, &u.Email, &u.EmailKey, &u.PasswordHash, &u.FirstName, &u.LastName,
		&u.Timezone, &u.EmailVerified, &u.MarketingEmailAccepted, &created, &updated, &last,
		&pwChanged, &emailChanged, &deleted, &activation, &suspended, &u.SuspensionReason, &u.Staff)
	if err != nil {
		return account.User{}, mapErr(err)
	}
	u.CreatedAt, u.UpdatedAt, u.LastLogin = fromTstz(created), fromTstz(updated), fromTstz(last)
	u.PasswordChangedAt, u.EmailChangedAt = fromTstz(pwChanged), fromTstz(emailChanged)
	u.DeletedAt, u.ActivationSentAt = fromTstz(deleted), fromTstz(activation)
	u.SuspendedAt = fromTstz(suspended)
	return u, nil
}

// CreateUser inserts a user and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *account.User) error {
	err := s.q.QueryRow(ctx, `INSERT INTO users (email, email_key, password_hash,
		first_name, last_name, timezone, email_verified, marketing_accepted, created_at,
		updated_at, last_login, password_changed_at, email_changed_at, deleted_at, activation_sent_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		u.Email, u.EmailKey, u.PasswordHash, u.FirstName, u.LastName, u.Timezone,
		u.EmailVerified, u.MarketingEmailAccepted, tstz(u.CreatedAt), tstz(u.UpdatedAt),
		tstz(u.LastLogin), tstz(u.PasswordChangedAt), tstz(u.EmailChangedAt),
		tstz(u.DeletedAt), tstz(u.ActivationSentAt)).Scan(&u.ID)
	return mapErr(err)
}

// CreateUsersIfAbsent inserts the users whose email key is free with one
// statement: each column is one array parameter, unnested into rows in the
// order given, so the statement is the same whatever the number of users
// (pgx prepares it once per connection) and a batch costs one round trip.
// ON CONFLICT DO NOTHING skips a key taken by a stored row or by an earlier
// row of the same statement.
func (s *Store) CreateUsersIfAbsent(ctx context.Context, users []*account.User) (int, error) {
	if len(users) == 0 {
		return 0, nil
	}
	var c userArrays
	for _, u := range users {
		c.add(u)
		u.ID = 0
	}
	rows, err := s.q.Query(ctx, `INSERT INTO users (email, email_key, password_hash,
		first_name, last_name, timezone, email_verified, marketing_accepted, created_at,
		updated_at, last_login, password_changed_at, email_changed_at, deleted_at, activation_sent_at)
		SELECT email, email_key, password_hash, first_name, last_name, timezone, email_verified,
			marketing_accepted, created_at, updated_at, last_login, password_changed_at,
			email_changed_at, deleted_at, activation_sent_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::boolean[], $8::boolean[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[],
			$12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[])
			WITH ORDINALITY AS t(email, email_key, password_hash, first_name, last_name, timezone,
			email_verified, marketing_accepted, created_at, updated_at, last_login, password_changed_at,
			email_changed_at, deleted_at, activation_sent_at, n)
		ORDER BY n
		ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key`,
		c.email, c.key, c.hash, c.first, c.last, c.tz, c.verified, c.marketing, c.created, c.updated,
		c.lastLogin, c.pwChanged, c.emailChanged, c.deleted, c.activation)
	if err != nil {
		return 0, mapErr(err)
	}
	ids := map[string]int64{}
	var id int64
	var key string
	_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error {
		ids[key] = id
		return nil
	})
	if err != nil {
		return 0, mapErr(err)
	}
	return account.SetInsertedIDs(users, ids), nil
}

// userArrays holds the columns of users to insert, one array each.
type userArrays struct {
	email, key, hash, first, last, tz                                         []string
	verified, marketing                                                       []bool
	created, updated, lastLogin, pwChanged, emailChanged, deleted, activation []pgtype.Timestamptz
}

func (c *userArrays) add(u *account.User) {
	c.email, c.key, c.hash = append(c.email, u.Email), append(c.key, u.EmailKey), append(c.hash, u.PasswordHash)
	c.first, c.last, c.tz = append(c.first, u.FirstName), append(c.last, u.LastName), append(c.tz, u.Timezone)
	c.verified, c.marketing = append(c.verified, u.EmailVerified), append(c.marketing, u.MarketingEmailAccepted)
	c.created, c.updated = append(c.created, tstz(u.CreatedAt)), append(c.updated, tstz(u.UpdatedAt))
	c.lastLogin, c.pwChanged = append(c.lastLogin, tstz(u.LastLogin)), append(c.pwChanged, tstz(u.PasswordChangedAt))
	c.emailChanged, c.deleted = append(c.emailChanged, tstz(u.EmailChangedAt)), append(c.deleted, tstz(u.DeletedAt))
	c.activation = append(c.activation, tstz(u.ActivationSentAt))
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

// SetEmail changes the user's address, verified, and records when.
func (s *Store) SetEmail(ctx context.Context, userID int64, email, key string, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET email = $1, email_key = $2, email_verified = true,
		email_changed_at = $3, updated_at = $3 WHERE id = $4`, email, key, tstz(t), userID)
}

// SetActivationSent records when the last activation email was queued.
func (s *Store) SetActivationSent(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET activation_sent_at = $1 WHERE id = $2`, tstz(t), userID)
}

// MarkDeleted marks the user deleted.
func (s *Store) MarkDeleted(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET deleted_at = $1, updated_at = $1 WHERE id = $2`,
		tstz(t), userID)
}

// PurgeDeleted erases the users deleted before t, in one transaction: their
// tokens and codes go, their personal data is blanked, their address freed
// (the row stays, so audit events keep a valid account id). Nodes may purge
// at the same time: under READ COMMITTED the second waits for the first's
// row locks, re-checks the condition and skips the rows already purged.
func (s *Store) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx account.Store) error {
		st := tx.(*Store)
		// The users to purge now: their rows are erased first, then the
		// user row is marked, so a later purge does not visit them again.
		const due = `(SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at < $1
			AND email_key NOT LIKE 'purged:%')`
		for _, q := range []string{
			`DELETE FROM tokens WHERE user_id IN ` + due,
			`DELETE FROM reset_tokens WHERE user_id IN ` + due,
			`DELETE FROM email_changes WHERE user_id IN ` + due,
			`DELETE FROM activations WHERE user_id IN ` + due,
			`DELETE FROM twofa_methods WHERE user_id IN ` + due,
			`DELETE FROM recovery_codes WHERE user_id IN ` + due,
			`DELETE FROM signin_devices WHERE user_id IN ` + due,
			`DELETE FROM social_identities WHERE user_id IN ` + due,
			`DELETE FROM user_preferences WHERE user_id IN ` + due,
			`UPDATE events SET email = '', email_key = '', ip = '', user_agent = '', detail = ''
				WHERE user_id IN ` + due,
		} {
			if _, err := st.q.Exec(ctx, q, tstz(before)); err != nil {
				return mapErr(err)
			}
		}
		tag, err := st.q.Exec(ctx, `UPDATE users SET email = '', email_key = 'purged:' || id,
			password_hash = '', first_name = '', last_name = '', timezone = 'UTC', email_verified = false,
			marketing_accepted = false, last_login = NULL, activation_sent_at = NULL, staff = false
			WHERE id IN `+due, tstz(before))
		if err != nil {
			return mapErr(err)
		}
		n = int(tag.RowsAffected())
		return nil
	})
	return n, err
}
