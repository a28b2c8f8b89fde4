package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

const socialColumns = `id, user_id, provider, issuer, subject, email, created_at, last_login_at`

func scanSocialIdentity(row interface{ Scan(...any) error }) (account.SocialIdentity, error) {
	var si account.SocialIdentity
	var created, last pgtype.Timestamptz
	err := row.Scan(&si.ID, &si.UserID, &si.Provider, &si.Issuer, &si.Subject, &si.Email, &created, &last)
	if err != nil {
		return si, mapErr(err)
	}
	si.CreatedAt, si.LastLoginAt = fromTstz(created), fromTstz(last)
	return si, nil
}

// CreateSocialIdentity links an identity; ErrConflict when it is linked.
func (s *Store) CreateSocialIdentity(ctx context.Context, si *account.SocialIdentity) error {
	err := s.q.QueryRow(ctx, `INSERT INTO social_identities (user_id, provider, issuer, subject,
		email, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		si.UserID, si.Provider, si.Issuer, si.Subject, si.Email, tstz(si.CreatedAt), tstz(si.LastLoginAt)).Scan(&si.ID)
	return mapErr(err)
}

// SocialIdentity returns the identity with this issuer and subject.
func (s *Store) SocialIdentity(ctx context.Context, issuer, subject string) (account.SocialIdentity, error) {
	return scanSocialIdentity(s.q.QueryRow(ctx, `SELECT `+socialColumns+` FROM social_identities
		WHERE issuer = $1 AND subject = $2`, issuer, subject))
}

// SocialIdentities lists the user's identities, oldest first.
func (s *Store) SocialIdentities(ctx context.Context, userID int64) ([]account.SocialIdentity, error) {
	rows, err := s.q.Query(ctx, `SELECT `+socialColumns+` FROM social_identities
		WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []account.SocialIdentity{}
	for rows.Next() {
		si, err := scanSocialIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, si)
	}
	return out, mapErr(rows.Err())
}

// TouchSocialIdentity records a sign-in with the identity.
func (s *Store) TouchSocialIdentity(ctx context.Context, id int64, email string, t time.Time) error {
	return s.exec(ctx, true, `UPDATE social_identities SET email = $1, last_login_at = $2 WHERE id = $3`,
		email, tstz(t), id)
}
