package web

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// The preference fields (docs/api.md#profile-preferences), in Webshare's names.
const (
	prefSurveyDismissed = "customer_satisfaction_survey_last_dismissed_at"
	prefSurveyCompleted = "customer_satisfaction_survey_last_completed_at"
	prefOnboarding      = "onboarding_activity_page_viewed_at"
)

func preferencesJSON(p account.Preferences, tz string) map[string]any {
	return map[string]any{
		"id":                p.ID,
		prefSurveyDismissed: formatTime(p.SurveyDismissedAt, tz),
		prefSurveyCompleted: formatTime(p.SurveyCompletedAt, tz),
		prefOnboarding:      formatTime(p.OnboardingViewedAt, tz),
		"created_at":        formatTime(p.CreatedAt, tz),
		"updated_at":        formatTime(p.UpdatedAt, tz),
	}
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, c caller) error {
	p, err := s.svc.Preferences(r.Context(), c.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, preferencesJSON(p, c.user.Timezone))
	return nil
}

// updatePreferences serves PATCH and PUT alike, as DRF's update view with
// every field optional does: the fields given are set, null clears one,
// unknown keys are ignored.
func (s *Server) updatePreferences(w http.ResponseWriter, r *http.Request, c caller) error {
	var p account.PreferencesPatch
	err := s.input(w, r, c, func(b *body) {
		p.SurveyDismissedAt = b.optDateTime(prefSurveyDismissed)
		p.SurveyCompletedAt = b.optDateTime(prefSurveyCompleted)
		p.OnboardingViewedAt = b.optDateTime(prefOnboarding)
	})
	if err != nil {
		return err
	}
	out, err := s.svc.UpdatePreferences(r.Context(), c.user, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, preferencesJSON(out, c.user.Timezone))
	return nil
}

// errDateTimeFormat is DRF's DateTimeField message, word for word.
const errDateTimeFormat = "Datetime has wrong format. Use one of these formats instead: " +
	"YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."

// optDateTime reads an optional, nullable date-time field: unset when
// absent, a zero Value for null.
func (b *body) optDateTime(name string) account.TimeChange {
	v, ok := b.values[name]
	if !ok {
		return account.TimeChange{}
	}
	if v == nil {
		return account.TimeChange{Set: true}
	}
	str, isStr := v.(string)
	t, valid := parseDateTime(str)
	if !isStr || !valid {
		b.fail(name, "invalid", errDateTimeFormat)
		return account.TimeChange{}
	}
	return account.TimeChange{Set: true, Value: t}
}

// dateTimePattern is what Django's parse_datetime accepts (the parser
// behind DRF's DateTimeField): a 'T' or a space between date and time,
// optional seconds, a fraction of up to 6 digits (more are dropped), and an
// optional Z or offset (+HH, +HHMM, +HH:MM).
var dateTimePattern = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})` +
	`(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$`)

// parseDateTime reads a date-time as dateTimePattern says; a value
// without an offset is UTC (the service's time zone, as Django's
// make_aware would take it). Dates that do not exist (February 30) and
// instants within a day of the ends of years 1 and 9999 are refused.
func parseDateTime(s string) (time.Time, bool) {
	m := dateTimePattern.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	year, month, day, hour, minute, sec := n(1), n(2), n(3), n(4), n(5), n(6)
	frac := m[7]
	for len(frac) < 6 {
		frac += "0"
	}
	micro, _ := strconv.Atoi(frac)
	loc, ok := offsetZone(m[8])
	if !ok || year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, loc)
	if t.Day() != day { // time.Date normalised an impossible date
		return time.Time{}, false
	}
	// A day inside the ends of years 1 and 9999, so that the instant keeps
	// a four-digit year in every time zone it is shown in.
	if t.Before(minDateTime) || t.After(maxDateTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// The range of date-times accepted (parseDateTime).
var (
	minDateTime = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)
	maxDateTime = time.Date(9999, 12, 30, 23, 59, 59, 999999000, time.UTC)
)

// offsetZone reads "", "Z", "+HH", "+HHMM" or "+HH:MM".
func offsetZone(z string) (*time.Location, bool) {
	if z == "" || z == "Z" {
		return time.UTC, true
	}
	digits := z[1:]
	if len(digits) > 2 && digits[2] == ':' {
		digits = digits[:2] + digits[3:]
	}
	h, _ := strconv.Atoi(digits[:2])
	mins := 0
	if len(digits) == 4 {
		mins, _ = strconv.Atoi(digits[2:])
	}
	if h > 23 || mins > 59 {
		return nil, false
	}
	off := h*3600 + mins*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}
