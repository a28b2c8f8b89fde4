package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/accountd/accountd/internal/account"
)

// SetSuspension suspends the user at t for reason, or lifts it (zero t).
func (s *Store) SetSuspension(ctx context.Context, userID int64, t time.Time, reason string) error {
	return s.exec(ctx, true, `UPDATE users SET suspended_at = $1, suspension_reason = $2 WHERE id = $3`,
		tstz(t), reason, userID)
}

// SetStaff marks the user staff or not.
func (s *Store) SetStaff(ctx context.Context, userID int64, staff bool, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET staff = $1, updated_at = $2 WHERE id = $3`, staff, tstz(t), userID)
}

// SearchUsers lists the users whose email key starts with prefix, by id.
// starts_with, not LIKE, so '%' and '_' in a prefix mean themselves.
func (s *Store) SearchUsers(ctx context.Context, prefix string, offset, n int) ([]account.User, int, error) {
	const match = ` FROM users WHERE starts_with(email_key, $1)`
	var count int
	if err := s.q.QueryRow(ctx, `SELECT count(*)`+match, prefix).Scan(&count); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.q.Query(ctx, `SELECT `+userColumns+match+` ORDER BY id LIMIT $2 OFFSET $3`,
		prefix, limit(n), max(offset, 0))
	if err != nil {
		return nil, 0, mapErr(err)
	}
	defer rows.Close()
	out := []account.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr(err)
	}
	return out, count, nil
}

// Preferences returns the user's preferences.
func (s *Store) Preferences(ctx context.Context, userID int64) (account.Preferences, error) {
	p := account.Preferences{UserID: userID}
	var dismissed, completed, viewed, created, updated pgtype.Timestamptz
	err := s.q.QueryRow(ctx, `SELECT id, survey_dismissed_at, survey_completed_at,
		onboarding_viewed_at, created_at, updated_at FROM user_preferences WHERE user_id = $1`, userID).
		Scan(&p.ID, &dismissed, &completed, &viewed, &created, &updated)
	if err != nil {
		return account.Preferences{}, mapErr(err)
	}
	p.SurveyDismissedAt, p.SurveyCompletedAt = fromTstz(dismissed), fromTstz(completed)
	p.OnboardingViewedAt, p.CreatedAt, p.UpdatedAt = fromTstz(viewed), fromTstz(created), fromTstz(updated)
	return p, nil
}

// SavePreferences inserts or replaces the user's preferences.
func (s *Store) SavePreferences(ctx context.Context, p *account.Preferences) error {
	err := s.q.QueryRow(ctx, `INSERT INTO user_preferences (user_id, survey_dismissed_at,
		survey_completed_at, onboarding_viewed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET survey_dismissed_at = excluded.survey_dismissed_at,
		survey_completed_at = excluded.survey_completed_at, onboarding_viewed_at = excluded.onboarding_viewed_at,
		updated_at = excluded.updated_at RETURNING id`,
		p.UserID, tstz(p.SurveyDismissedAt), tstz(p.SurveyCompletedAt), tstz(p.OnboardingViewedAt),
		tstz(p.CreatedAt), tstz(p.UpdatedAt)).Scan(&p.ID)
	return mapErr(err)
}
