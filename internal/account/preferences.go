package account

import (
	"context"
	"time"
)

// Preferences are the account's profile preferences (docs/api.md#profile-preferences): three
// times the dashboard records, each zero when unset.
type Preferences struct {
	ID                 int64
	UserID             int64
	SurveyDismissedAt  time.Time // customer_satisfaction_survey_last_dismissed_at
	SurveyCompletedAt  time.Time // customer_satisfaction_survey_last_completed_at
	OnboardingViewedAt time.Time // onboarding_activity_page_viewed_at
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TimeChange is one field of a preferences patch: Set when the request
// named the field; a zero Value then clears it (JSON null).
type TimeChange struct {
	Set   bool
	Value time.Time
}

// apply returns t changed as c says.
func (c TimeChange) apply(t time.Time) time.Time {
	if !c.Set {
		return t
	}
	return c.Value.UTC().Truncate(time.Microsecond)
}

// PreferencesPatch is a PATCH (or PUT) of the preferences.
type PreferencesPatch struct {
	SurveyDismissedAt, SurveyCompletedAt, OnboardingViewedAt TimeChange
}

// Preferences returns the account's preferences, creating them (all
// unset) on first use, as Webshare's object always exists.
func (s *Service) Preferences(ctx context.Context, u User) (Preferences, error) {
	return s.UpdatePreferences(ctx, u, PreferencesPatch{})
}

// UpdatePreferences applies a patch and returns the result. The account is
// locked while it reads and writes, so concurrent patches of different
// fields both land.
func (s *Service) UpdatePreferences(ctx context.Context, u User, p PreferencesPatch) (Preferences, error) {
	var out Preferences
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockUser(ctx, u.ID); err != nil {
			return err
		}
		cur, err := tx.Preferences(ctx, u.ID)
		exists := err == nil
		if err != nil && !isNotFound(err) {
			return err
		}
		changed := p != PreferencesPatch{}
		if exists && !changed {
			out = cur
			return nil
		}
		now := s.clock()
		if !exists {
			cur = Preferences{UserID: u.ID, CreatedAt: now}
		}
		cur.SurveyDismissedAt = p.SurveyDismissedAt.apply(cur.SurveyDismissedAt)
		cur.SurveyCompletedAt = p.SurveyCompletedAt.apply(cur.SurveyCompletedAt)
		cur.OnboardingViewedAt = p.OnboardingViewedAt.apply(cur.OnboardingViewedAt)
		cur.UpdatedAt = now
		if err := tx.SavePreferences(ctx, &cur); err != nil {
			return err
		}
		out = cur
		return nil
	})
	return out, wrapStore(err)
}
