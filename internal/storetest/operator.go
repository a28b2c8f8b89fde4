package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// Operators (docs/api.md#suspension-staff-and-federated-access to docs/api.md#admin-api): suspension, staff, search, preferences and
// the admin API's audit trail.

func searchUsers(t *testing.T, s account.Store, prefix string, offset, limit int) ([]int64, int) {
	t.Helper()
	users, n, err := s.SearchUsers(t.Context(), prefix, offset, limit)
	noErr(t, fmt.Sprintf("SearchUsers(%q, %d, %d)", prefix, offset, limit), err)
	return ids(users, func(u account.User) int64 { return u.ID }), n
}

var operatorTests = []test{
	{"SuspensionRoundTripAndLift", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		other := createUser(t, s, newActiveUser(2))
		noErr(t, "SetSuspension", s.SetSuspension(t.Context(), u.ID, at(time.Minute).In(elsewhere), "abuse_report"))
		got := userByID(t, s, u.ID)
		utc(t, "UserByID after SetSuspension", got.SuspendedAt)
		if !got.SuspendedAt.Equal(at(time.Minute)) || got.SuspensionReason != "abuse_report" || !got.Suspended() {
			t.Errorf("after SetSuspension: SuspendedAt, Reason = %v, %q; want %v, abuse_report", got.SuspendedAt, got.SuspensionReason, at(time.Minute))
		}
		if o := userByID(t, s, other.ID); o.Suspended() {
			t.Errorf("SetSuspension(%d) suspended account %d too", u.ID, other.ID)
		}
		noErr(t, "SetSuspension(zero)", s.SetSuspension(t.Context(), u.ID, time.Time{}, ""))
		if got := userByID(t, s, u.ID); got.Suspended() || got.SuspensionReason != "" {
			t.Errorf("after lifting: SuspendedAt, Reason = %v, %q; want zero, empty", got.SuspendedAt, got.SuspensionReason)
		}
		wantErr(t, "SetSuspension(unknown)", s.SetSuspension(t.Context(), u.ID+other.ID+100, base, "abuse_report"), account.ErrNotFound)
	}},
	{"Staff", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		if userByID(t, s, u.ID).Staff {
			t.Fatal("a new user is staff, want not")
		}
		noErr(t, "SetStaff(true)", s.SetStaff(t.Context(), u.ID, true, base))
		if !userByID(t, s, u.ID).Staff {
			t.Error("after SetStaff(true) Staff = false")
		}
		noErr(t, "SetStaff(false)", s.SetStaff(t.Context(), u.ID, false, base))
		if userByID(t, s, u.ID).Staff {
			t.Error("after SetStaff(false) Staff = true")
		}
		wantErr(t, "SetStaff(unknown)", s.SetStaff(t.Context(), u.ID+100, true, base), account.ErrNotFound)
	}},
	{"SearchUsersByPrefix", func(t *testing.T, s account.Store) {
		var made []account.User
		for i, email := range []string{"ada@example.com", "adam@example.com", "bob@example.com", "ad%x@example.com", "ad_y@example.com"} {
			u := newActiveUser(i)
			u.Email, u.EmailKey = email, account.EmailKey(email)
			made = append(made, createUser(t, s, u))
		}
		got, n := searchUsers(t, s, "ad", 0, 10)
		diff(t, `SearchUsers("ad")`, got, []int64{made[0].ID, made[1].ID, made[3].ID, made[4].ID})
		if n != 4 {
			t.Errorf(`SearchUsers("ad") count = %d, want 4`, n)
		}
		// Wildcards of LIKE mean themselves.
		got, _ = searchUsers(t, s, "ad%", 0, 10)
		diff(t, `SearchUsers("ad%")`, got, []int64{made[3].ID})
		got, _ = searchUsers(t, s, "ad_", 0, 10)
		diff(t, `SearchUsers("ad_")`, got, []int64{made[4].ID})
		got, n = searchUsers(t, s, "", 1, 2)
		diff(t, `SearchUsers("", 1, 2)`, got, []int64{made[1].ID, made[2].ID})
		if n != 5 {
			t.Errorf(`SearchUsers("") count = %d, want 5`, n)
		}
		got, n = searchUsers(t, s, "zed", 0, 10)
		if len(got) != 0 || n != 0 {
			t.Errorf(`SearchUsers("zed") = %v, %d; want none`, got, n)
		}
	}},
	{"PreferencesUpsert", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newActiveUser(1))
		other := createUser(t, s, newActiveUser(2))
		_, err := s.Preferences(t.Context(), u.ID)
		wantErr(t, "Preferences(none yet)", err, account.ErrNotFound)
		p := account.Preferences{UserID: u.ID, SurveyDismissedAt: at(time.Minute).In(elsewhere),
			CreatedAt: base, UpdatedAt: base}
		noErr(t, "SavePreferences", s.SavePreferences(t.Context(), &p))
		if p.ID == 0 {
			t.Fatal("SavePreferences left ID = 0")
		}
		got, err := s.Preferences(t.Context(), u.ID)
		noErr(t, "Preferences", err)
		utc(t, "Preferences", got.SurveyDismissedAt, got.CreatedAt, got.UpdatedAt)
		want := p
		want.SurveyDismissedAt = at(time.Minute)
		diff(t, "Preferences", got, want)

		// A second save replaces the values and keeps the row.
		next := account.Preferences{UserID: u.ID, OnboardingViewedAt: at(time.Hour), SurveyCompletedAt: at(2 * time.Hour),
			CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
		noErr(t, "SavePreferences(again)", s.SavePreferences(t.Context(), &next))
		got, err = s.Preferences(t.Context(), u.ID)
		noErr(t, "Preferences", err)
		want = account.Preferences{ID: p.ID, UserID: u.ID, OnboardingViewedAt: at(time.Hour), SurveyCompletedAt: at(2 * time.Hour),
			CreatedAt: base, UpdatedAt: at(time.Hour)}
		diff(t, "Preferences after a second save", got, want)
		if next.ID != p.ID {
			t.Errorf("second SavePreferences set ID %d, want the row's %d", next.ID, p.ID)
		}
		_, err = s.Preferences(t.Context(), other.ID)
		wantErr(t, "Preferences(other user)", err, account.ErrNotFound)
	}},
	{"EventsByTypeAndPage", func(t *testing.T, s account.Store) {
		e1 := addEvent(t, s, newEvent("login", 0, "a@example.com", at(-3*time.Minute)))
		addEvent(t, s, newEvent("logout", 0, "a@example.com", at(-2*time.Minute)))
		e3 := addEvent(t, s, newEvent("login", 0, "b@example.com", at(-time.Minute)))
		e4 := addEvent(t, s, newEvent("login", 0, "a@example.com", base))
		diff(t, "Events(type login)", events(t, s, account.EventFilter{Type: "login", Limit: 10}), []account.Event{e4, e3, e1})
		diff(t, "Events(type login, offset 1, limit 1)", events(t, s, account.EventFilter{Type: "login", Offset: 1, Limit: 1}),
			[]account.Event{e3})
		diff(t, "Events(type login, address a)", events(t, s, account.EventFilter{Type: "login",
			EmailKey: account.EmailKey("a@example.com"), Limit: 10}), []account.Event{e4, e1})
		for _, c := range []struct {
			f    account.EventFilter
			want int
		}{
			{account.EventFilter{}, 4},
			{account.EventFilter{Type: "login"}, 3},
			{account.EventFilter{Type: "login", Since: at(-90 * time.Second), Limit: 1, Offset: 5}, 2},
			{account.EventFilter{EmailKey: account.EmailKey("a@example.com")}, 3},
			{account.EventFilter{Type: "nothing"}, 0},
		} {
			n, err := s.CountEvents(t.Context(), c.f)
			noErr(t, fmt.Sprintf("CountEvents(%+v)", c.f), err)
			if n != c.want {
				t.Errorf("CountEvents(%+v) = %d, want %d", c.f, n, c.want)
			}
		}
	}},
	{"PurgeErasesPreferencesAndStaff", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1)) // deleted an hour before base
		noErr(t, "SetStaff", s.SetStaff(t.Context(), u.ID, true, base))
		p := account.Preferences{UserID: u.ID, SurveyDismissedAt: base, CreatedAt: base, UpdatedAt: base}
		noErr(t, "SavePreferences", s.SavePreferences(t.Context(), &p))
		n, err := s.PurgeDeleted(t.Context(), base)
		noErr(t, "PurgeDeleted", err)
		if n != 1 {
			t.Fatalf("PurgeDeleted = %d, want 1", n)
		}
		_, err = s.Preferences(t.Context(), u.ID)
		wantErr(t, "Preferences after the purge", err, account.ErrNotFound)
		if userByID(t, s, u.ID).Staff {
			t.Error("a purged account is still staff")
		}
	}},
}
