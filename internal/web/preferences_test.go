package web_test

import (
	"testing"
)

// Profile preferences (docs/api.md#profile-preferences) over HTTP.

const prefDismissed = "customer_satisfaction_survey_last_dismissed_at"

func TestPreferencesGetPatchPut(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	r := e.do("GET", "/api/v2/profile/preferences/", nil, tok)
	if r.Status != 200 {
		t.Fatalf("GET preferences = %d %s", r.Status, r.Body)
	}
	p := r.JSON(t)
	for _, k := range []string{prefDismissed, "customer_satisfaction_survey_last_completed_at", "onboarding_activity_page_viewed_at"} {
		if v, ok := p[k]; !ok || v != nil {
			t.Errorf("new preferences[%s] = %v (present %v), want null", k, v, ok)
		}
	}
	if p["id"] == nil || !sfTimePattern.MatchString(p["created_at"].(string)) {
		t.Errorf("preferences = %s, want an id and created_at", r.Body)
	}
	id := p["id"]

	// Naive (UTC), Z, offsets, a space, a fraction longer than 6 digits.
	for _, c := range []struct{ in, want string }{
		{"2026-11-27T13:58", "2026-11-27T13:58:00.000000+00:00"},
		{"2026-11-27T13:58:10.246406Z", "2026-11-27T13:58:10.246406+00:00"},
		{"2026-11-27T15:58:10+02:00", "2026-11-27T13:58:10.000000+00:00"},
		{"2026-11-27 13:58:10.1234567-0130", "2026-11-27T15:28:10.123456+00:00"},
		{"2022-06-14T15:59:06.663774-07:00", "2022-06-14T22:59:06.663774+00:00"},
	} {
		r := e.do("PATCH", "/api/v2/profile/preferences/", obj{prefDismissed: c.in, "unknown_key": 1}, tok)
		if r.Status != 200 || r.JSON(t)[prefDismissed] != c.want || r.JSON(t)["id"] != id {
			t.Errorf("PATCH %s = %q: %d %s, want 200 with %s", prefDismissed, c.in, r.Status, r.Body, c.want)
		}
	}
	// PUT as PATCH; another field set, the first kept.
	r = e.do("PUT", "/api/v2/profile/preferences/", obj{"onboarding_activity_page_viewed_at": "2026-01-02T03:04:05Z"}, tok)
	if m := r.JSON(t); r.Status != 200 || m[prefDismissed] != "2022-06-14T22:59:06.663774+00:00" ||
		m["onboarding_activity_page_viewed_at"] != "2026-01-02T03:04:05.000000+00:00" {
		t.Errorf("PUT = %d %s, want both fields", r.Status, r.Body)
	}
	// null clears.
	r = e.do("PATCH", "/api/v2/profile/preferences/", obj{prefDismissed: nil}, tok)
	if m := r.JSON(t); r.Status != 200 || m[prefDismissed] != nil || m["onboarding_activity_page_viewed_at"] == nil {
		t.Errorf("PATCH null = %d %s, want the field cleared, the other kept", r.Status, r.Body)
	}
	// An API key may read them (docs/api.md#profile-preferences says nothing against it).
	key := sfCreateKey(t, e, tok, "k")["key"].(string)
	sfWantStatus(t, "GET preferences with an API key", e.do("GET", "/api/v2/profile/preferences/", nil, key), 200)
}

func TestPreferencesRefuseMalformedDateTimes(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	e.do("PATCH", "/api/v2/profile/preferences/", obj{prefDismissed: "2026-11-27T13:58:00Z"}, tok)
	const msg = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
	for _, bad := range []any{"yesterday", "2026-02-30T10:00", "2026-11-27", "2026-11-27T25:00", "2026-11-27T10:00+24:00",
		"", 1700000000, true, "0000-01-01T00:00"} {
		r := e.do("PATCH", "/api/v2/profile/preferences/", obj{prefDismissed: bad, "onboarding_activity_page_viewed_at": "2026-01-01T00:00"}, tok)
		sfWantField(t, "PATCH "+prefDismissed, r, prefDismissed, "invalid")
		if r.Status == 400 {
			if m := r.JSON(t)[prefDismissed].([]any)[0].(map[string]any)["message"]; m != msg {
				t.Errorf("message = %q, want DRF's", m)
			}
		}
	}
	// Nothing changed: not the bad field, not the good one beside it.
	m := e.do("GET", "/api/v2/profile/preferences/", nil, tok).JSON(t)
	if m[prefDismissed] != "2026-11-27T13:58:00.000000+00:00" || m["onboarding_activity_page_viewed_at"] != nil {
		t.Errorf("after refused patches = %v, want unchanged", m)
	}
}
