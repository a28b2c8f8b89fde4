package web_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

// Sessions (docs/api.md#sessions) over HTTP, on SQLite or PostgreSQL.

const day = 24 * time.Hour

// withLifetimes sets the idle and absolute lifetimes of login tokens.
func withLifetimes(idle, maxTTL time.Duration) func(*envOptions) {
	return func(o *envOptions) { o.Config.TokenIdleTTL, o.Config.TokenMaxTTL = idle, maxTTL }
}

// sessionList GETs the sessions of token's account, failing on anything
// but 200, and returns the count and results.
func sessionList(t *testing.T, e *env, token string) (int, []map[string]any) {
	t.Helper()
	r := e.do("GET", "/api/v2/sessions/?page_size=100", nil, token)
	if r.Status != 200 {
		t.Fatalf("GET sessions = %d %s, want 200", r.Status, r.Body)
	}
	m := r.JSON(t)
	var out []map[string]any
	for _, x := range m["results"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return int(m["count"].(float64)), out
}

func sessionPath(s map[string]any) string {
	return fmt.Sprintf("/api/v2/sessions/%d/", int64(s["id"].(float64)))
}

// wantStatus checks a request's status; code, when not "", the body's code.
func wantStatus(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.Status != status || code != "" && r.Code(t, "") != code {
		t.Errorf("%s = %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

func TestSessionsListEachSignIn(t *testing.T) {
	e := newEnv(t, withLifetimes(14*day, 30*day))
	first := e.register("ada@example.com", testPassword)
	e.Clock.Advance(time.Hour)
	second := e.login("ada@example.com", testPassword)
	count, sessions := sessionList(t, e, second)
	if count != 2 || len(sessions) != 2 {
		t.Fatalf("sessions = %d %v, want 2", count, sessions)
	}
	want := []string{"created_at", "current", "expires_at", "id", "ip", "last_used_at", "two_factor", "user_agent"}
	for i, s := range sessions {
		if d := cmp.Diff(want, slices.Sorted(maps.Keys(s))); d != "" {
			t.Errorf("session %d keys (-want +got):\n%s", i, d)
		}
		for _, k := range []string{"created_at", "last_used_at", "expires_at"} {
			if v, _ := s[k].(string); !sfTimePattern.MatchString(v) {
				t.Errorf("session %d %s = %v, want an ISO 8601 time", i, k, s[k])
			}
		}
		if s["ip"] != "127.0.0.1" || s["user_agent"] != "Go-http-client/1.1" || s["two_factor"] != "verified" {
			t.Errorf("session %d = %v, want ip 127.0.0.1, the client's user agent, two_factor verified", i, s)
		}
	}
	// Newest first: the login, then the registration.
	if sessions[0]["current"] != true || sessions[1]["current"] != false {
		t.Errorf("current = %v, %v; want true for the token asking, false for the other",
			sessions[0]["current"], sessions[1]["current"])
	}
	// A fresh token ends 14 days after its last use, before its 30 days.
	created, _ := time.Parse(time.RFC3339Nano, sessions[0]["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339Nano, sessions[0]["expires_at"].(string))
	if !expires.Equal(created.Add(14 * day)) {
		t.Errorf("expires_at = %v, want created_at + 14 days = %v", expires, created.Add(14*day))
	}
	if r := e.do("GET", "/api/v2/profile/", nil, first); r.Status != 200 {
		t.Errorf("the first token after listing = %d, want 200", r.Status)
	}
}

// TestEverySignInPathRecordsItsSession: login, register of an existing
// account, reset complete and activation complete all mint their tokens
// through one function, which records the session.
func TestEverySignInPathRecordsItsSession(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	e.login("ada@example.com", testPassword)
	e.register("ada@example.com", testPassword) // an existing account: signs in
	r := sfCompleteActivation(e, sfActivationToken(t, e, "ada@example.com"), "")
	wantStatus(t, "activation complete", r, 200, "")
	reset := e.resetToken("ada@example.com")
	r = e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": "Battery-Staple-5501",
		"password_reset_token": reset, "recaptcha": "x"}, "")
	wantStatus(t, "reset complete", r, 200, "")
	// The reset signs out every older token: its own token is the one left.
	after := r.JSON(t)["token"].(string)
	wantStatus(t, "the first token after the reset", e.do("GET", "/api/v2/profile/", nil, tok), 401, "authentication_failed")
	count, sessions := sessionList(t, e, after)
	if count != 1 || sessions[0]["current"] != true || sessions[0]["user_agent"] != "Go-http-client/1.1" {
		t.Errorf("sessions after the reset = %d %v, want the reset's own, recorded", count, sessions)
	}
}

func TestExpiredTokensAreRefused(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		e := newEnv(t, withLifetimes(14*day, 30*day))
		tok := e.register("ada@example.com", testPassword)
		e.Clock.Advance(14*day - time.Second)
		wantStatus(t, "profile after 14 days less a second", e.do("GET", "/api/v2/profile/", nil, tok), 200, "")
		e.Clock.Advance(14 * day)
		wantStatus(t, "profile after 14 days idle", e.do("GET", "/api/v2/profile/", nil, tok), 401, "authentication_failed")
	})
	t.Run("absolute", func(t *testing.T) {
		e := newEnv(t, withLifetimes(14*day, 30*day))
		tok := e.register("ada@example.com", testPassword)
		for range 3 {
			e.Clock.Advance(10*day - time.Second)
			wantStatus(t, "profile while in use", e.do("GET", "/api/v2/profile/", nil, tok), 200, "")
		}
		e.Clock.Advance(3 * time.Second)
		wantStatus(t, "profile 30 days after issue", e.do("GET", "/api/v2/profile/", nil, tok), 401, "authentication_failed")
	})
	t.Run("API keys never", func(t *testing.T) {
		e := newEnv(t, withLifetimes(time.Hour, time.Hour))
		key := sfCreateKey(t, e, e.register("ada@example.com", testPassword), "k")["key"].(string)
		e.Clock.Advance(100 * day)
		wantStatus(t, "profile with an API key unused for 100 days", e.do("GET", "/api/v2/profile/", nil, key), 200, "")
	})
}

// TestUseWithinAMinuteIsNotWritten: last_used_at moves only when the
// recorded use is a minute old, so a busy token costs one write a minute.
func TestUseWithinAMinuteIsNotWritten(t *testing.T) {
	e := newEnv(t, withLifetimes(14*day, 30*day))
	tok := e.register("ada@example.com", testPassword)
	_, s := sessionList(t, e, tok)
	issued := s[0]["last_used_at"]
	e.Clock.Advance(30 * time.Second)
	e.do("GET", "/api/v2/profile/", nil, tok)
	e.Clock.Advance(29 * time.Second)
	if _, s = sessionList(t, e, tok); s[0]["last_used_at"] != issued {
		t.Errorf("last_used_at after uses within a minute = %v, want the sign-in's %v", s[0]["last_used_at"], issued)
	}
	e.Clock.Advance(time.Second)
	if _, s = sessionList(t, e, tok); s[0]["last_used_at"] == issued {
		t.Errorf("last_used_at a minute after the sign-in = %v, want it moved", s[0]["last_used_at"])
	}
}

func TestRevokeOneSession(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	other := e.login("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "k")
	_, mine := sessionList(t, e, ada)
	_, theirs := sessionList(t, e, bob)
	wantStatus(t, "DELETE another account's session", e.do("DELETE", sessionPath(theirs[0]), nil, ada), 404, "not_found")
	wantStatus(t, "DELETE an API key's id as a session", e.do("DELETE", sessionPath(key), nil, ada), 404, "not_found")
	wantStatus(t, "DELETE a session id that is not a number", e.do("DELETE", "/api/v2/sessions/abc/", nil, ada), 404, "not_found")
	wantStatus(t, "bob after ada's attempt", e.do("GET", "/api/v2/profile/", nil, bob), 200, "")

	wantStatus(t, "DELETE the other session", e.do("DELETE", sessionPath(mine[0]), nil, ada), 204, "")
	wantStatus(t, "the revoked token", e.do("GET", "/api/v2/profile/", nil, other), 401, "authentication_failed")
	wantStatus(t, "DELETE it again", e.do("DELETE", sessionPath(mine[0]), nil, ada), 404, "not_found")
	wantStatus(t, "DELETE the current session", e.do("DELETE", sessionPath(mine[1]), nil, ada), 204, "")
	wantStatus(t, "the current token after", e.do("GET", "/api/v2/profile/", nil, ada), 401, "authentication_failed")
}

func TestRevokeOtherSessions(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	b, c := e.login("ada@example.com", testPassword), e.login("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "k")["key"].(string)
	wantStatus(t, "revoke_others", e.do("POST", "/api/v2/sessions/revoke_others/", nil, ada), 204, "")
	for name, tok := range map[string]string{"the current token": ada, "the API key": key, "another account's token": bob} {
		wantStatus(t, name+" after revoke_others", e.do("GET", "/api/v2/profile/", nil, tok), 200, "")
	}
	for _, tok := range []string{b, c} {
		wantStatus(t, "another token after revoke_others", e.do("GET", "/api/v2/profile/", nil, tok), 401, "authentication_failed")
	}
	if count, _ := sessionList(t, e, ada); count != 1 {
		t.Errorf("sessions after revoke_others = %d, want 1", count)
	}
}

func TestSessionsRefuseAPIKeys(t *testing.T) {
	e := newEnv(t)
	key := sfCreateKey(t, e, e.register("ada@example.com", testPassword), "k")["key"].(string)
	for _, r := range []response{e.do("GET", "/api/v2/sessions/", nil, key),
		e.do("POST", "/api/v2/sessions/revoke_others/", nil, key), e.do("DELETE", "/api/v2/sessions/1/", nil, key)} {
		wantStatus(t, "sessions with an API key", r, 403, "api_key_not_allowed")
	}
}

// TestAtMost100LiveLoginTokens: the 101st sign-in revokes the oldest.
func TestAtMost100LiveLoginTokens(t *testing.T) {
	e := newEnv(t)
	oldest := e.register("ada@example.com", testPassword)
	second := e.login("ada@example.com", testPassword)
	var newest string
	for range account.MaxLoginTokens - 1 {
		newest = e.login("ada@example.com", testPassword)
	}
	wantStatus(t, "the oldest of 101 tokens", e.do("GET", "/api/v2/profile/", nil, oldest), 401, "authentication_failed")
	wantStatus(t, "the second oldest", e.do("GET", "/api/v2/profile/", nil, second), 200, "")
	if count, _ := sessionList(t, e, newest); count != account.MaxLoginTokens {
		t.Errorf("sessions after 101 sign-ins = %d, want %d", count, account.MaxLoginTokens)
	}
}

// TestSessionCapCountsLiveTokensOnly: the cap of 100 is on live tokens. An
// old session in daily use outlives 99 later sign-ins that have since
// expired, and the next sign-in keeps it (the reviewer's scenario).
func TestSessionCapCountsLiveTokensOnly(t *testing.T) {
	e := newEnv(t, withLifetimes(14*day, 0))
	daily := e.register("ada@example.com", testPassword)
	for range account.MaxLoginTokens - 1 {
		e.login("ada@example.com", testPassword)
	}
	for range 2 { // the daily session is used; the 99 others idle past 14 days
		e.Clock.Advance(13 * day)
		wantStatus(t, "the daily session", e.do("GET", "/api/v2/profile/", nil, daily), 200, "")
	}
	newest := e.login("ada@example.com", testPassword)
	wantStatus(t, "the daily session after the next sign-in", e.do("GET", "/api/v2/profile/", nil, daily), 200, "")
	if count, _ := sessionList(t, e, newest); count != 2 {
		t.Errorf("sessions = %d, want 2 (the daily one and the newest)", count)
	}
}
