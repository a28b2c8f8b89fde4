package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// SetSuspension suspends the user at t for reason, or lifts it (zero t).
func (s *Store) SetSuspension(ctx context.Context, userID int64, t time.Time, reason string) error {
	return s.exec(ctx, true, `UPDATE users SET suspended_at = ?, suspension_reason = ? WHERE id = ?`,
		micros(t), reason, userID)
}

// SetStaff marks the user staff or not.
func (s *Store) SetStaff(ctx context.Context, userID int64, staff bool, t time.Time) error {
	return s.exec(ctx, true, `UPDATE users SET staff = ?, updated_at = ? WHERE id = ?`, staff, micros(t), userID)
}

// SearchUsers lists the users whose email key starts with prefix, by id.
// The comparison is on a substring, not LIKE, so '%' and '_' in a prefix
// mean themselves.
func (s *Store) SearchUsers(ctx context.Context, prefix string, offset, limit int) ([]account.User, int, error) {
	const match = ` FROM users WHERE substr(email_key, 1, length(?)) = ?`
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*)`+match, prefix, prefix).Scan(&n); err != nil {
		return nil, 0, mapErr(err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+match+` ORDER BY id LIMIT ? OFFSET ?`,
		prefix, prefix, limit, offset)
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
	return out, n, mapErr(rows.Err())
}

// Preferences returns the user's preferences.
func (s *Store) Preferences(ctx context.Context, userID int64) (account.Preferences, error) {
	p := account.Preferences{UserID: userID}
	var dismissed, completed, viewed, created, updated sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, survey_dismissed_at, survey_completed_at,
		onboarding_viewed_at, created_at, updated_at FROM user_preferences WHERE user_id = ?`, userID).
		Scan(&p.ID, &dismissed, &completed, &viewed, &created, &updated)
	if err != nil {
		return account.Preferences{}, mapErr(err)
	}
	p.SurveyDismissedAt, p.SurveyCompletedAt = fromMicros(dismissed), fromMicros(completed)
	p.OnboardingViewedAt, p.CreatedAt, p.UpdatedAt = fromMicros(viewed), fromMicros(created), fromMicros(updated)
	return p, nil
}

// SavePreferences inserts or replaces the user's preferences.
func (s *Store) SavePreferences(ctx context.Context, p *account.Preferences) error {
	err := s.write.QueryRowContext(ctx, `INSERT INTO user_preferences (user_id, survey_dismissed_at,
		survey_completed_at, onboarding_viewed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET survey_dismissed_at = excluded.survey_dismissed_at,
		survey_completed_at = excluded.survey_completed_at, onboarding_viewed_at = excluded.onboarding_viewed_at,
		updated_at = excluded.updated_at RETURNING id`,
		p.UserID, micros(p.SurveyDismissedAt), micros(p.SurveyCompletedAt), micros(p.OnboardingViewedAt),
		micros(p.CreatedAt), micros(p.UpdatedAt)).Scan(&p.ID)
	return mapErr(err)
}
