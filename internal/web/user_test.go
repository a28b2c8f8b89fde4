package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestChangePasswordWrongCurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	other := e.login("ada@example.com", testPassword)
	for _, current := range []string{"Wrong-Password-1", strings.ToUpper(testPassword), testPassword + " "} {
		r := apiPost(e, "/api/v2/changepassword/", obj{"password": current, "new_password": "Battery-Staple-5501"}, tok)
		apiNoLeak(t, "changepassword wrong current", r)
		if r.Status != 400 {
			t.Fatalf("changepassword(current %q) = %d %s, want 400", current, r.Status, r.Body)
		}
		want := map[string][]apiMsg{"password": {{"Wrong password.", "authorization"}}}
		if diff := cmp.Diff(want, apiFields(t, r)); diff != "" {
			t.Errorf("changepassword(current %q) body mismatch (-want +got):\n%s", current, diff)
		}
	}
	if got := apiLoginStatus(e, "ada@example.com", testPassword); got != 200 {
		t.Errorf("login with the old password after a refused change = %d, want 200", got)
	}
	if got := apiLoginStatus(e, "ada@example.com", "Battery-Staple-5501"); got != 400 {
		t.Errorf("login with the refused new password = %d, want 400", got)
	}
	if r := e.do("GET", "/api/v2/profile/", nil, other); r.Status != 200 {
		t.Errorf("other token after a refused change = %d, want 200", r.Status)
	}
	e.deliver()
	for _, m := range e.inbox() {
		t.Errorf("inbox after a refused change has %q to %s, want nothing", m.Subject, m.To)
	}
}

func TestChangePasswordSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.register("Ada@Example.com", testPassword)
	other1 := e.login("ada@example.com", testPassword)
	other2 := e.login("ada@example.com", testPassword)
	bystander := e.register("grace@example.com", testPassword)
	reset := e.resetToken("ada@example.com")
	before := len(e.inbox())

	const next = "Battery-Staple-5501"
	r := apiPost(e, "/api/v2/changepassword/", obj{"password": testPassword, "new_password": next}, tok)
	if r.Status != 204 {
		t.Fatalf("changepassword = %d %s, want 204", r.Status, r.Body)
	}
	for i, old := range []string{other1, other2} {
		apiExpect401(t, "other login token "+string(rune('1'+i))+" after changepassword",
			e.do("GET", "/api/v2/profile/", nil, old), "authentication_failed")
	}
	if p := apiProfile(t, e, tok); p["email"] != "Ada@Example.com" {
		t.Errorf("profile with the token used = %v, want Ada@Example.com", p["email"])
	}
	if r := e.do("GET", "/api/v2/profile/", nil, bystander); r.Status != 200 {
		t.Errorf("another user's token after changepassword = %d, want 200", r.Status)
	}
	if got := apiLoginStatus(e, "ada@example.com", testPassword); got != 400 {
		t.Errorf("login with the old password = %d, want 400", got)
	}
	if got := apiLoginStatus(e, "ada@example.com", next); got != 200 {
		t.Errorf("login with the new password = %d, want 200", got)
	}
	// Outstanding reset tokens are void.
	r = apiPost(e, "/api/v2/resetpassword/check/", obj{"password_reset_token": reset}, "")
	if diff := cmp.Diff(map[string][]string{"password_reset_token": {"invalid"}}, apiCodes(t, "check after change", r)); diff != "" {
		t.Errorf("reset check of a token issued before the change mismatch (-want +got):\n%s", diff)
	}

	e.deliver()
	mails := e.inbox()
	if len(mails) != before+1 {
		t.Fatalf("inbox after changepassword has %d mails, want %d", len(mails), before+1)
	}
	m := mails[0]
	if m.To != "Ada@Example.com" {
		t.Errorf("password changed mail To = %q, want Ada@Example.com", m.To)
	}
	if !strings.Contains(strings.ToLower(m.Subject), "password was changed") {
		t.Errorf("password changed mail Subject = %q, want it to say the password was changed", m.Subject)
	}
	if !strings.Contains(m.Text, "was just changed") || !strings.Contains(m.Text, "Ada@Example.com") {
		t.Errorf("password changed mail text = %q, want it to name the account and say the password was changed", m.Text)
	}
}

func TestSurfaceDeleteAccountWrongPassword(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	r := e.do("POST", "/api/v2/deleteaccount/", obj{"password": "Wrong-Horse-0000", "recaptcha": "x"}, ada)
	sfWantField(t, "delete with a wrong password", r, "password", "authorization")
	sfWantField(t, "delete without a password", e.do("POST", "/api/v2/deleteaccount/", obj{"recaptcha": "x"}, ada), "password", "required")
	sfProfile(t, e, ada)
	if s := sfLoginStatus(e, "ada@example.com", testPassword); s != 200 {
		t.Errorf("login after a refused delete = %d, want 200", s)
	}
}

func TestSurfaceDeleteAccount(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	first := e.register(email, testPassword)
	second := e.login(email, testPassword)
	key := sfCreateKey(t, e, first, "ci")["key"].(string)
	activation := sfActivationToken(t, e, email)
	e.register("bob@example.com", testPassword)

	r := e.do("POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}, first)
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("deleteaccount = %d %q, want 204 with no body", r.Status, r.Body)
	}
	for name, tok := range map[string]string{"first login token": first, "second login token": second, "API key": key} {
		for _, path := range []string{"/api/v2/profile/", "/api/v2/activation/"} {
			sfWantDetail(t, name+" on "+path+" after deletion", e.do("GET", path, nil, tok), 403,
				"account_deleted", "Your account is deleted.")
		}
	}
	sfWantDetail(t, "apikey list after deletion", e.do("GET", "/api/v2/apikey/", nil, second), 403, "account_deleted", "Your account is deleted.")

	// Login, reset and activation treat the address as unknown.
	r = e.do("POST", "/api/v2/login/", obj{"email": email, "password": testPassword, "recaptcha": "x"}, "")
	unknown := e.do("POST", "/api/v2/login/", obj{"email": "nobody@example.com", "password": testPassword, "recaptcha": "x"}, "")
	sfWantField(t, "login of a deleted account", r, "non_field_errors", "authorization")
	if string(r.Body) != string(unknown.Body) {
		t.Errorf("login of a deleted account = %s, want the body of an unknown address %s", r.Body, unknown.Body)
	}
	e.deliver()
	before := len(e.allMail())
	sfWantStatus(t, "reset request for a deleted account", e.do("POST", "/api/v2/resetpassword/", obj{"email": email, "recaptcha": "x"}, ""), 204)
	e.deliver()
	if n := len(e.allMail()); n != before {
		t.Errorf("reset request for a deleted account sent %d mails, want none", n-before)
	}
	sfWantField(t, "activation of a deleted account", sfCompleteActivation(e, activation, ""), "activation_token", "invalid")
	r = e.do("POST", "/api/v2/register/", obj{"email": email, "password": testPassword, "tos_accepted": true, "recaptcha": "x"}, "")
	sfWantField(t, "register the address before the purge", r, "email", "unique")

	e.Clock.Advance(31 * 24 * time.Hour)
	n, err := e.Svc.Purge(context.Background(), 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1, nil", n, err)
	}
	for name, tok := range map[string]string{"first login token": first, "second login token": second, "API key": key} {
		sfWantDetail(t, name+" after the purge", e.do("GET", "/api/v2/profile/", nil, tok), 401, "authentication_failed", "Invalid token.")
	}
	r = e.do("POST", "/api/v2/register/", obj{"email": email, "password": brNewPassword, "tos_accepted": true, "recaptcha": "x"}, "")
	if r.Status != 200 || r.JSON(t)["logged_in_existing_user"] != false {
		t.Fatalf("register the address after the purge = %d %s, want 200 with logged_in_existing_user false", r.Status, r.Body)
	}
	p := sfProfile(t, e, r.JSON(t)["token"].(string))
	if p["email"] != email || p["email_is_verified"] != false {
		t.Errorf("new account: email %v, verified %v; want %s, false", p["email"], p["email_is_verified"], email)
	}
	if s := sfLoginStatus(e, email, testPassword); s != 400 {
		t.Errorf("login with the purged account's password = %d, want 400", s)
	}
}
