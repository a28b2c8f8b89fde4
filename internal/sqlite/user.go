package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/account"
)

const userColumns = `id, email, email_key, password_hash, first_name, last_name, timezone,
	email_verified, marketing_accepted, created_at, updated_at, last_login,
	password_changed_at, email_changed_at, deleted_at, activation_sent_at,
	suspended_at, suspension_reason, staff`

func scanUser(row interface{ Scan(...any) error }) (account.User, error) {
	var u account.User
	var created, updated, last, pwChanged, emailChanged, deleted, activation, suspended sql.NullInt64
	err := row.Scan(&u.ID, &u.Email, &u.EmailKey, &u.PasswordHash, &u.FirstName, &u.LastName,
		&u.Timezone, &u.EmailVerified, &u.MarketingEmailAccepted, &created, &updated, &last,
		&pwChanged, &emailChanged, &deleted, &activation, &suspended, &u.SuspensionReason, &u.Staff)
	if err != nil {
		return u, mapErr(err)
	}
	u.CreatedAt, u.UpdatedAt, u.LastLogin = fromMicros(created), fromMicros(updated), fromMicros(last)
	u.PasswordChangedAt, u.EmailChangedAt = fromMicros(pwChanged), fromMicros(emailChanged)
	u.DeletedAt, u.ActivationSentAt = fromMicros(deleted), fromMicros(activation)
	u.SuspendedAt = fromMicros(suspended)
	return u, nil
}

// insertUser inserts the user of userArgs.
const insertUser = `INSERT INTO users (email, email_key, password_hash,
	first_name, last_name, timezone, email_verified, marketing_accepted, created_at,
	updated_at, last_login, password_changed_at, email_changed_at, deleted_at, activation_sent_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// userArgs are the arguments of insertUser.
func userArgs(u *account.User) []any {
	return []any{u.Email, u.EmailKey, u.PasswordHash, u.FirstName, u.LastName, u.Timezone,
		u.EmailVerified, u.MarketingEmailAccepted, micros(u.CreatedAt), micros(u.UpdatedAt),
		micros(u.LastLogin), micros(u.PasswordChangedAt), micros(u.EmailChangedAt),
		micros(u.DeletedAt), micros(u.ActivationSentAt)}
}

// CreateUser inserts a user and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *account.User) error {
	return mapErr(s.write.QueryRowContext(ctx, insertUser+` RETURNING id`, userArgs(u)...).Scan(&u.ID))
}

// CreateUsersIfAbsent inserts the users whose email key is free, in one
// transaction, importChunk rows a statement: one row per statement spent
// half its time in database/sql and the driver rather than in SQLite
// (docs/benchmarks.md, "User import"). A taken key makes DO NOTHING skip
// the row; RETURNING names the rows inserted by their keys.
func (s *Store) CreateUsersIfAbsent(ctx context.Context, users []*account.User) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx account.Store) error {
		w := tx.(*Store).write
		for _, u := range users {
			u.ID = 0
		}
		return inChunks(len(users), func(from, to int) error {
			args := make([]any, 0, (to-from)*15)
			for _, u := range users[from:to] {
				args = append(args, userArgs(u)...)
			}
			rows, err := w.QueryContext(ctx, insertUsers(to-from)+` ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key`, args...)
			if err != nil {
				return mapErr(err)
			}
			defer rows.Close()
			ids := map[string]int64{}
			for rows.Next() {
				var id int64
				var key string
				if err := rows.Scan(&id, &key); err != nil {
					return mapErr(err)
				}
				ids[key] = id
			}
			if err := rows.Err(); err != nil {
				return mapErr(err)
			}
			n += account.SetInsertedIDs(users[from:to], ids)
			return nil
		})
	})
	if err != nil {
		for _, u := range users {
			u.ID = 0 // rolled back: no ID names a row
		}
		return 0, err
	}
	return n, nil
}

// importChunk is how many rows one statement of a bulk insert holds:
// 64 users are 960 parameters, within SQLite's limit of 32,766.
const importChunk = 64

// inChunks calls insert for each run of at most importChunk of n rows. The
// runs are all importChunk long but the last, so that a bulk insert
// prepares at most two statements per length of input.
func inChunks(n int, insert func(from, to int) error) error {
	for from := 0; from < n; from += importChunk {
		if err := insert(from, min(from+importChunk, n)); err != nil {
			return err
		}
	}
	return nil
}

// insertUsers is insertUser with n rows of values.
func insertUsers(n int) string {
	return insertUser + strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n-1)
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

// SetEmail changes the user's address, verified, and records when.
func (s *Store) SetEmail(ctx context.Context, userID int64, email, key string, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET email = ?, email_key = ?, email_verified = 1,
		email_changed_at = ?, updated_at = ? WHERE id = ?`, email, key, micros(t), micros(t), userID)
}

// SetActivationSent records when the last activation email was queued.
func (s *Store) SetActivationSent(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET activation_sent_at = ? WHERE id = ?`, micros(t), userID)
}

// MarkDeleted marks the user deleted.
func (s *Store) MarkDeleted(ctx context.Context, userID int64, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET deleted_at = ?, updated_at = ? WHERE id = ?`,
		micros(t), micros(t), userID)
}

// PurgeDeleted erases the users deleted before t, in one transaction: their
// tokens and codes go, their personal data is blanked, their address freed
// (the row stays, so audit events keep a valid account id).
func (s *Store) PurgeDeleted(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx account.Store) error {
		st := tx.(*Store)
		// The users to purge now: their rows are erased first, then the
		// user row is marked, so a later purge does not visit them again.
		const due = `(SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ?
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
			if _, err := st.write.ExecContext(ctx, q, before.UnixMicro()); err != nil {
				return mapErr(err)
			}
		}
		res, err := st.write.ExecContext(ctx, `UPDATE users SET email = '', email_key = 'purged:' || id,
			password_hash = '', first_name = '', last_name = '', timezone = 'UTC', email_verified = 0,
			marketing_accepted = 0, last_login = NULL, activation_sent_at = NULL, staff = 0
			WHERE id IN `+due, before.UnixMicro())
		if err != nil {
			return mapErr(err)
		}
		affected, err := res.RowsAffected()
		n = int(affected)
		return err
	})
	return n, err
}
