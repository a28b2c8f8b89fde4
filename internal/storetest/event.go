package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
)

// newEvent returns an event at when; user 0 means unknown.
func newEvent(typ string, user int64, email string, when time.Time) account.Event {
	return account.Event{Time: when.In(elsewhere), Type: typ, UserID: user, Email: email,
		EmailKey: account.EmailKey(email), IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11)",
		Detail: "detail of " + typ}
}

// addEvent stores e and returns it with its ID.
func addEvent(t *testing.T, s account.Store, e account.Event) account.Event {
	t.Helper()
	noErr(t, fmt.Sprintf("AddEvent(%q)", e.Type), s.AddEvent(t.Context(), &e))
	if e.ID == 0 {
		t.Fatalf("AddEvent(%q) left ID = 0, want it set", e.Type)
	}
	return e
}

// events lists the events f selects.
func events(t *testing.T, s account.Store, f account.EventFilter) []account.Event {
	t.Helper()
	ev, err := s.Events(t.Context(), f)
	noErr(t, fmt.Sprintf("Events(%+v)", f), err)
	for _, e := range ev {
		utc(t, fmt.Sprintf("Events(%+v)", f), e.Time)
	}
	if ev == nil {
		ev = []account.Event{}
	}
	return ev
}

var eventTests = []test{
	{"RoundTrip", func(t *testing.T, s account.Store) {
		u := createUser(t, s, newUser(1))
		known := addEvent(t, s, newEvent("registered", u.ID, u.Email, base))
		unknown := addEvent(t, s, newEvent("reset_requested", 0, "Nobody@Example.com", at(time.Second)))
		if known.ID == unknown.ID {
			t.Errorf("AddEvent gave both events ID %d, want distinct IDs", known.ID)
		}
		diff(t, "Events(all)", events(t, s, account.EventFilter{Limit: 10}), []account.Event{unknown, known})
	}},
	{"FilterNewestFirst", func(t *testing.T, s account.Store) {
		a, b := "a@example.com", "B@example.com"
		// Added out of time order: the list is ordered by time, not insertion.
		a1 := addEvent(t, s, newEvent("login", 0, a, at(-time.Hour)))
		a3 := addEvent(t, s, newEvent("login", 0, a, at(time.Hour)))
		b1 := addEvent(t, s, newEvent("login", 0, b, at(-30*time.Minute)))
		a2 := addEvent(t, s, newEvent("login_failed", 0, a, base))
		b2 := addEvent(t, s, newEvent("logout", 0, b, at(30*time.Minute)))

		cases := []struct {
			f    account.EventFilter
			want []account.Event
		}{
			{account.EventFilter{Limit: 10}, []account.Event{a3, b2, a2, b1, a1}},
			{account.EventFilter{Limit: 2}, []account.Event{a3, b2}},
			{account.EventFilter{EmailKey: account.EmailKey(a), Limit: 10}, []account.Event{a3, a2, a1}},
			{account.EventFilter{EmailKey: account.EmailKey(b), Limit: 10}, []account.Event{b2, b1}},
			{account.EventFilter{EmailKey: account.EmailKey(a), Limit: 1}, []account.Event{a3}},
			{account.EventFilter{Since: at(-40 * time.Minute), Limit: 10}, []account.Event{a3, b2, a2, b1}},
			{account.EventFilter{Since: at(-time.Minute).In(elsewhere), Limit: 10}, []account.Event{a3, b2, a2}},
			{account.EventFilter{EmailKey: account.EmailKey(b), Since: at(-time.Minute), Limit: 10}, []account.Event{b2}},
			{account.EventFilter{Since: at(2 * time.Hour), Limit: 10}, []account.Event{}},
			{account.EventFilter{EmailKey: "c@example.com", Limit: 10}, []account.Event{}},
		}
		for _, c := range cases {
			diff(t, fmt.Sprintf("Events(%+v)", c.f), events(t, s, c.f), c.want)
		}
	}},
	{"FilterByAccountOrAddress", func(t *testing.T, s account.Store) {
		// An account's history across a change of address, and a request
		// under its address before it was resolved to the account.
		u := createUser(t, s, newUser(1))
		other := createUser(t, s, newUser(2))
		old := addEvent(t, s, newEvent("registered", u.ID, "old@example.com", at(-time.Hour)))
		anon := addEvent(t, s, newEvent("reset_requested", 0, u.Email, at(-time.Minute)))
		now := addEvent(t, s, newEvent("login", u.ID, u.Email, base))
		addEvent(t, s, newEvent("login", other.ID, other.Email, at(time.Second)))
		cases := []struct {
			f    account.EventFilter
			want []account.Event
		}{
			{account.EventFilter{UserID: u.ID, Limit: 10}, []account.Event{now, old}},
			{account.EventFilter{UserID: u.ID, EmailKey: u.EmailKey, Limit: 10}, []account.Event{now, anon, old}},
			{account.EventFilter{UserID: u.ID, EmailKey: u.EmailKey, Since: at(-2 * time.Minute), Limit: 10}, []account.Event{now, anon}},
			{account.EventFilter{EmailKey: u.EmailKey, Limit: 10}, []account.Event{now, anon}},
		}
		for _, c := range cases {
			diff(t, fmt.Sprintf("Events(%+v)", c.f), events(t, s, c.f), c.want)
		}
	}},
	{"PurgeEvents", func(t *testing.T, s account.Store) {
		a := "a@example.com"
		addEvent(t, s, newEvent("login", 0, a, at(-2*time.Hour)))
		addEvent(t, s, newEvent("login_failed", 0, a, at(-time.Hour-time.Microsecond)))
		onCutoff := addEvent(t, s, newEvent("login", 0, a, at(-time.Hour)))
		newer := addEvent(t, s, newEvent("logout", 0, a, base))
		n, err := s.PurgeEvents(t.Context(), at(-time.Hour))
		noErr(t, "PurgeEvents", err)
		diff(t, "PurgeEvents(an hour before) count", n, 2)
		diff(t, "events left after PurgeEvents", events(t, s, account.EventFilter{Limit: 10}),
			[]account.Event{newer, onCutoff})
		n, err = s.PurgeEvents(t.Context(), at(-time.Hour))
		noErr(t, "PurgeEvents again", err)
		diff(t, "PurgeEvents again count", n, 0)
	}},
}
