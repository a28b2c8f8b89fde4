package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/accountd/accountd/internal/account"
)

// Suspension (docs/api.md#suspension-staff-and-federated-access) over HTTP, on SQLite, or PostgreSQL when
// ACCOUNTD_TEST_POSTGRES_URL is set.

var testOperator = account.Operator{Via: "test"}

// userID returns the id of the account with the address.
func (e *env) userID(email string) int64 {
	e.t.Helper()
	u, err := e.Svc.FindUser(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func wantSuspended(t *testing.T, what string, r response) {
	t.Helper()
	sfWantDetail(t, what, r, http.StatusForbidden, "account_suspended", "Your account is suspended.")
}

func TestSuspensionBlocksEveryCredentialAndLifts(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	key := sfCreateKey(t, e, tok, "script")["key"].(string)
	other := e.register("bob@example.com", testPassword)
	id := e.userID("ada@example.com")
	sfWantStatus(t, "suspension before", e.do("GET", "/api/v2/verification/suspension/", nil, tok), 404)

	if _, err := e.Svc.Suspend(context.Background(), id, "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/api/v2/profile/", tok},
		{"GET", "/api/v2/profile/", key},
		{"GET", "/api/v2/profile/preferences/", key},
		{"GET", "/api/v2/apikey/", tok},
		{"GET", "/api/v2/sessions/", tok},
		{"POST", "/api/v2/changepassword/", tok},
		{"GET", "/api/v2/twofactorauth/method/current/", tok},
	} {
		wantSuspended(t, c.method+" "+c.path, e.do(c.method, c.path, obj{}, c.token))
	}
	for _, credential := range []string{tok, key} {
		r := e.do("GET", "/api/v2/verification/suspension/", nil, credential)
		if r.Status != 200 || r.JSON(t)["reason"] != "abuse_report" || !sfTimePattern.MatchString(r.JSON(t)["created_at"].(string)) {
			t.Errorf("suspension while suspended = %d %s, want 200 with created_at and reason abuse_report", r.Status, r.Body)
		}
	}
	sfWantStatus(t, "another account's profile", e.do("GET", "/api/v2/profile/", nil, other), 200)

	// Login, reset and logout still work; a new token is suspended too.
	fresh := e.login("ada@example.com", testPassword)
	wantSuspended(t, "profile with a token from a login while suspended", e.do("GET", "/api/v2/profile/", nil, fresh))
	sfWantStatus(t, "reset request while suspended", e.do("POST", "/api/v2/resetpassword/", obj{"email": "ada@example.com", "recaptcha": "x"}, ""), 204)
	sfWantStatus(t, "logout while suspended", e.do("POST", "/api/v2/logout/", nil, fresh), 204)
	sfWantStatus(t, "profile after that logout", e.do("GET", "/api/v2/profile/", nil, fresh), 401)

	if _, err := e.Svc.Unsuspend(context.Background(), id, testOperator); err != nil {
		t.Fatal(err)
	}
	// Unsuspending restores the tokens and keys that were kept.
	sfWantStatus(t, "profile with the old token after unsuspend", e.do("GET", "/api/v2/profile/", nil, tok), 200)
	sfWantStatus(t, "profile with the API key after unsuspend", e.do("GET", "/api/v2/profile/", nil, key), 200)
	sfWantStatus(t, "suspension after unsuspend", e.do("GET", "/api/v2/verification/suspension/", nil, tok), 404)

	e.deliver()
	if got := sfMails(e, "ada@example.com", "Your account was suspended"); len(got) != 1 {
		t.Errorf("suspended notices = %d, want 1", len(got))
	}
	if got := sfMails(e, "ada@example.com", "Your account is no longer suspended"); len(got) != 1 {
		t.Errorf("unsuspended notices = %d, want 1", len(got))
	}
	ev, err := e.Svc.Events(context.Background(), "ada@example.com", account.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, x := range ev {
		types[x.Type] = true
	}
	if !types["account_suspended"] || !types["account_unsuspended"] {
		t.Errorf("audit events %v, want account_suspended and account_unsuspended", types)
	}
}

func TestSuspensionRefusals(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	id := e.userID("ada@example.com")
	ctx := context.Background()
	if _, err := e.Svc.Suspend(ctx, id, "spam", testOperator); err == nil {
		t.Error("Suspend with reason spam = nil, want invalid_choice")
	}
	if _, err := e.Svc.Unsuspend(ctx, id, testOperator); err == nil {
		t.Error("Unsuspend of an account not suspended = nil, want not_suspended")
	}
	if _, err := e.Svc.Suspend(ctx, id, "fraudulent_payment", testOperator); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Suspend(ctx, id, "abuse_report", testOperator); err == nil {
		t.Error("Suspend twice = nil, want already_suspended")
	}
	u, _ := e.Svc.FindUser(ctx, "ada@example.com")
	if u.SuspensionReason != "fraudulent_payment" {
		t.Errorf("reason after a refused second suspend = %q, want the first", u.SuspensionReason)
	}
}

// 2FA is checked before suspension: a pending token on a suspended account
// learns nothing of the account's state until it passes its second factor.
func TestSuspensionAfterTwoFactor(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	totp := enrolTOTP(e, tok)
	pending := e.login("ada@example.com", testPassword)
	if _, err := e.Svc.Suspend(context.Background(), e.userID("ada@example.com"), "abuse_report", testOperator); err != nil {
		t.Fatal(err)
	}
	tfWantPending(t, e, "pending token on a suspended account", pending)
	r := e.do("GET", "/api/v2/verification/suspension/", nil, pending)
	sfWantDetail(t, "suspension endpoint with a pending token", r, 403, "2fa_needed", "")
	sfWantStatus(t, "codeauth while suspended", tfCodeAuth(e, pending, tfCode(e, totp.secret)), 204)
	wantSuspended(t, "profile once verified", e.do("GET", "/api/v2/profile/", nil, pending))
	sfWantStatus(t, "suspension endpoint once verified", e.do("GET", "/api/v2/verification/suspension/", nil, pending), 200)
}
