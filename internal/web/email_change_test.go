package web_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 12 A4, A10 and the email-change part of A14, over real HTTP: what a
// password change, a reset and a change of address end, and what the
// confirm page may show before the owner agrees.

const ecAttacker = "mallory@example.net"

// ecCheck asks which address a confirmation code would move token's account to.
func ecCheck(e *env, token, code string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/changeemail/check/", obj{"confirmation_code": code}, token)
}

// ecWantEmail fails unless token's account has the address email.
func ecWantEmail(t *testing.T, e *env, token, email string) {
	t.Helper()
	if got := sfProfile(t, e, token)["email"]; got != email {
		t.Errorf("profile email = %v, want %s", got, email)
	}
}

// A thief with a login token asks to move the account to their address; the
// owner notices and resets the password. The thief's code must be dead: the
// reset ends every credential issued before it, the pending move included.
func TestEmailChangeCodeVoidedByReset(t *testing.T) {
	e := newEnv(t)
	stolen := e.register("ada@example.com", testPassword)
	code := sfAskChange(t, e, stolen, ecAttacker)

	reset := e.resetToken("ada@example.com")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword,
		"password_reset_token": reset, "recaptcha": "x"}, "")
	sfWantStatus(t, "reset complete", r, 200)
	fresh := r.JSON(t)["token"].(string)

	// Whoever completes it now does so with a token issued after the reset
	// (the owner, tricked into opening the thief's link).
	sfWantField(t, "check of the thief's code after the reset", ecCheck(e, fresh, code), "confirmation_code", "invalid")
	sfWantField(t, "the thief's code after the reset", sfCompleteChange(e, fresh, code), "confirmation_code", "invalid")
	ecWantEmail(t, e, fresh, "ada@example.com")
	if s := sfLoginStatus(e, ecAttacker, brNewPassword); s != 400 {
		t.Errorf("login as %s = %d, want 400", ecAttacker, s)
	}
}

func TestEmailChangeCodeVoidedByPasswordChange(t *testing.T) {
	e := newEnv(t)
	stolen := e.register("ada@example.com", testPassword)
	owner := e.login("ada@example.com", testPassword)
	code := sfAskChange(t, e, stolen, ecAttacker)

	r := e.do("POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}, owner)
	sfWantStatus(t, "change password", r, 204)

	sfWantField(t, "the thief's code after a password change", sfCompleteChange(e, owner, code), "confirmation_code", "invalid")
	ecWantEmail(t, e, owner, "ada@example.com")
}

// Completing a change of address signs out every other login token of the
// account (a session taken while the old address was the account's must
// not survive the move); the token used and the API keys stay.
func TestEmailChangeRevokesOtherLoginTokens(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	other := e.login("ada@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "CI")["key"].(string)
	bob := e.register("bob@example.com", testPassword)

	sfWantStatus(t, "complete", sfCompleteChange(e, ada, sfAskChange(t, e, ada, "ada@example.org")), 204)

	sfWantStatus(t, "the other login token after the change", e.do("GET", "/api/v2/profile/", nil, other), 401)
	ecWantEmail(t, e, ada, "ada@example.org")
	ecWantEmail(t, e, key, "ada@example.org")
	ecWantEmail(t, e, bob, "bob@example.com")
}

// The confirm page shows where the account would move before the owner
// agrees; the address comes from the server, for the signed-in account
// only, and asking consumes nothing.
func TestEmailChangeCheckShowsTargetAddress(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	code := sfAskChange(t, e, ada, "ada@example.org")

	r := ecCheck(e, ada, code)
	sfWantStatus(t, "check", r, 200)
	if got := r.JSON(t); got["new_email"] != "ada@example.org" || got["email"] != "ada@example.com" ||
		!sfTimePattern.MatchString(got["expires_at"].(string)) {
		t.Errorf("check = %s, want email ada@example.com, new_email ada@example.org and expires_at", r.Body)
	}
	r = ecCheck(e, bob, code)
	sfWantField(t, "check by another account", r, "confirmation_code", "invalid")
	if strings.Contains(string(r.Body), "ada@example") {
		t.Errorf("check by another account reveals the address: %s", r.Body)
	}
	sfWantField(t, "check of a made-up code", ecCheck(e, ada, strings.Repeat("0", 64)), "confirmation_code", "invalid")
	sfWantField(t, "check without a code", e.do("POST", "/api/v2/changeemail/check/", obj{}, ada), "confirmation_code", "required")
	sfWantStatus(t, "check without a token", ecCheck(e, "", code), 401)
	key := sfCreateKey(t, e, ada, "CI")["key"].(string)
	sfWantDetail(t, "check with an API key", ecCheck(e, key, code), 403, "api_key_not_allowed", "")

	ecWantEmail(t, e, ada, "ada@example.com")
	sfWantStatus(t, "complete after the checks", sfCompleteChange(e, ada, code), 204)
	sfWantField(t, "check of a used code", ecCheck(e, ada, code), "confirmation_code", "invalid")
}

// ecPost sends a JSON body and returns the status, or 0 when the request
// failed; safe to call from any goroutine.
func ecPost(e *env, path, body, token string) int {
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// The owner's reset and the thief's change of address, sent at the same
// moment: never both. Whichever commits first ends the other's credential.
func TestEmailChangeRacesReset(t *testing.T) {
	e := newEnv(t)
	const pairs = 6
	type pair struct{ email, stolen, code, reset string }
	ps := make([]pair, pairs)
	for i := range ps {
		p := &ps[i]
		p.email = fmt.Sprintf("user%d@example.com", i)
		p.stolen = e.register(p.email, testPassword)
		p.code = sfAskChange(t, e, p.stolen, fmt.Sprintf("thief%d@example.net", i))
		p.reset = e.resetToken(p.email)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	changed, reset := make([]int, pairs), make([]int, pairs)
	for i, p := range ps {
		wg.Go(func() {
			<-start
			changed[i] = ecPost(e, "/api/v2/changeemail/complete/", `{"confirmation_code":"`+p.code+`"}`, p.stolen)
		})
		wg.Go(func() {
			<-start
			reset[i] = ecPost(e, "/api/v2/resetpassword/complete/", `{"password":"`+brNewPassword+
				`","password_reset_token":"`+p.reset+`","recaptcha":"x"}`, "")
		})
	}
	close(start)
	wg.Wait()
	for i, p := range ps {
		switch {
		case changed[i] == 204 && reset[i] == 200:
			t.Errorf("%s: both the thief's change of address and the owner's reset succeeded", p.email)
		case changed[i] != 204 && reset[i] != 200:
			t.Errorf("%s: change of address %d and reset %d: want one to succeed", p.email, changed[i], reset[i])
		case reset[i] == 200 && sfLoginStatus(e, p.email, brNewPassword) != 200:
			t.Errorf("%s: the reset won, but the owner cannot log in with the new password at the old address", p.email)
		}
	}
}

var sfChangeLink = regexp.MustCompile(`https://dash\.example\.com/changeemail/([0-9a-f]{64})/confirm/`)

// Subjects of the mails of the change of address (internal/mail/templates).
const (
	sfSubjectConfirm   = "Confirm your new email address"
	sfSubjectRequested = "Someone asked to change your account's email address"
	sfSubjectChanged   = "Your email address was changed"
)

// sfAskChange requests a change of token's account to newEmail, delivers the
// mail and returns the code of the link sent to newEmail.
func sfAskChange(t *testing.T, e *env, token, newEmail string) string {
	t.Helper()
	r := e.do("POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": newEmail}, token)
	if r.Status != 204 {
		t.Fatalf("changeemail to %s = %d %s, want 204", newEmail, r.Status, r.Body)
	}
	e.deliver()
	mails := sfMails(e, newEmail, sfSubjectConfirm)
	if len(mails) == 0 {
		t.Fatalf("no %q mail to %s", sfSubjectConfirm, newEmail)
	}
	m := sfChangeLink.FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("confirmation mail to %s has no link %s:\n%s", newEmail, sfChangeLink, mails[0].Text)
	}
	return m[1]
}

func sfCompleteChange(e *env, token, code string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/changeemail/complete/", obj{"confirmation_code": code}, token)
}

func TestSurfaceChangeEmailRefused(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	e.register("bob@example.com", testPassword)
	e.deliver()
	before := len(e.allMail())

	for _, c := range []struct {
		what        string
		body        obj
		field, code string
	}{
		{"wrong password", obj{"password": "Wrong-Horse-0000", "new_email": "new@example.com"}, "password", "authorization"},
		{"another account's address", obj{"password": testPassword, "new_email": "BOB@example.com"}, "new_email", "unique"},
		{"invalid address", obj{"password": testPassword, "new_email": "not-an-address"}, "new_email", "invalid"},
		{"address without a dot in the domain", obj{"password": testPassword, "new_email": "x@localhost"}, "new_email", "invalid"},
		{"missing new_email", obj{"password": testPassword}, "new_email", "required"},
		{"missing password", obj{"new_email": "new@example.com"}, "password", "required"},
	} {
		r := e.do("POST", "/api/v2/changeemail/", c.body, ada)
		sfWantField(t, "changeemail with "+c.what, r, c.field, c.code)
	}
	if r := e.do("POST", "/api/v2/changeemail/", obj{"password": "Wrong-Horse-0000", "new_email": "new@example.com"}, ada); r.Status == 400 {
		if msg := r.JSON(t)["password"].([]any)[0].(map[string]any)["message"]; msg != "Wrong password." {
			t.Errorf("wrong password message = %q, want %q", msg, "Wrong password.")
		}
	}
	sfWantDetail(t, "changeemail without a token", e.do("POST", "/api/v2/changeemail/",
		obj{"password": testPassword, "new_email": "new@example.com"}, ""), 401, "not_authenticated", "")

	e.deliver()
	if n := len(e.allMail()); n != before {
		t.Errorf("refused change requests sent %d mails, want none", n-before)
	}
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Errorf("profile email after refused requests = %v, want ada@example.com", got)
	}
}

func TestSurfaceChangeEmailFlow(t *testing.T) {
	e := newEnv(t)
	const oldEmail, newEmail = "ada@example.com", "ada.new@example.org"
	ada := e.register(oldEmail, testPassword)
	other := e.register("bob@example.com", testPassword)
	resetBefore := e.resetToken(oldEmail)
	activation := sfActivationToken(t, e, oldEmail)

	code := sfAskChange(t, e, ada, newEmail)
	if n := len(sfMails(e, oldEmail, sfSubjectRequested)); n != 1 {
		t.Errorf("the old address got %d %q notices, want 1", n, sfSubjectRequested)
	}
	if m := sfMails(e, oldEmail, sfSubjectConfirm); len(m) != 0 {
		t.Errorf("the old address got the confirmation link; only the new one may")
	}
	if m := sfMails(e, oldEmail, sfSubjectRequested); len(m) == 1 && strings.Contains(m[0].Text, code) {
		t.Errorf("the notice to the old address carries the confirmation code")
	}

	// Nothing changes before completion.
	p := sfProfile(t, e, ada)
	if p["email"] != oldEmail {
		t.Errorf("profile email before completion = %v, want %s", p["email"], oldEmail)
	}
	if s := sfLoginStatus(e, newEmail, testPassword); s != 400 {
		t.Errorf("login with the new address before completion = %d, want 400", s)
	}

	// Another account cannot use the code, and its attempt changes nothing.
	sfWantField(t, "complete by another account", sfCompleteChange(e, other, code), "confirmation_code", "invalid")
	if got := sfProfile(t, e, other)["email"]; got != "bob@example.com" {
		t.Errorf("other account's email after using ada's code = %v, want bob@example.com", got)
	}
	if got := sfProfile(t, e, ada)["email"]; got != oldEmail {
		t.Errorf("ada's email after bob used her code = %v, want %s", got, oldEmail)
	}

	if r := sfCompleteChange(e, ada, code); r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("complete = %d %q, want 204 with no body", r.Status, r.Body)
	}
	p = sfProfile(t, e, ada)
	if p["email"] != newEmail || p["email_is_verified"] != true {
		t.Errorf("profile after the change: email %v, email_is_verified %v; want %s, true", p["email"], p["email_is_verified"], newEmail)
	}
	if s := sfLoginStatus(e, newEmail, testPassword); s != 200 {
		t.Errorf("login with the new address = %d, want 200", s)
	}
	if s := sfLoginStatus(e, oldEmail, testPassword); s != 400 {
		t.Errorf("login with the old address = %d, want 400", s)
	}
	e.deliver()
	changed := sfMails(e, oldEmail, sfSubjectChanged)
	if len(changed) != 1 {
		t.Fatalf("the old address got %d %q notices, want 1", len(changed), sfSubjectChanged)
	}
	if !strings.Contains(changed[0].Text, newEmail) {
		t.Errorf("the changed notice does not name the new address:\n%s", changed[0].Text)
	}
	if n := len(sfMails(e, newEmail, sfSubjectChanged)); n != 0 {
		t.Errorf("the new address got %d %q notices, want them at the old one only", n, sfSubjectChanged)
	}

	sfWantField(t, "reuse of the code", sfCompleteChange(e, ada, code), "confirmation_code", "invalid")
	sfWantField(t, "activation link sent to the old address", sfCompleteActivation(e, activation, ""), "activation_token", "invalid")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": resetBefore, "recaptcha": "x"}, "")
	sfWantField(t, "reset token issued before the change", r, "password_reset_token", "invalid")
	if s := sfLoginStatus(e, newEmail, testPassword); s != 200 {
		t.Errorf("login after the refused reset = %d, want 200 with the unchanged password", s)
	}
	// A reset now goes to the new address.
	fresh := e.resetToken(newEmail)
	if got := e.inbox()[0].To; got != newEmail {
		t.Errorf("reset mail goes to %s, want %s", got, newEmail)
	}
	r = e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": fresh, "recaptcha": "x"}, "")
	sfWantStatus(t, "reset complete for the new address", r, 200)
}

func TestSurfaceChangeEmailWrongPasswordHidesTakenAddress(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	e.register("bob@example.com", testPassword)
	r := e.do("POST", "/api/v2/changeemail/", obj{"password": "Wrong-Horse-0000", "new_email": "bob@example.com"}, ada)
	sfWantField(t, "wrong password and a taken address", r, "password", "authorization")
	if _, ok := r.JSON(t)["new_email"]; ok {
		t.Errorf("with a wrong password the answer %s tells whether the address has an account", r.Body)
	}
}

func TestSurfaceChangeEmailAddressTakenMeanwhile(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)

	code := sfAskChange(t, e, ada, "new@example.com")
	e.register("new@example.com", testPassword)
	sfWantField(t, "complete after someone registered the address", sfCompleteChange(e, ada, code), "new_email", "unique")

	adaCode := sfAskChange(t, e, ada, "both@example.com")
	bobCode := sfAskChange(t, e, bob, "both@example.com")
	sfWantStatus(t, "bob completes first", sfCompleteChange(e, bob, bobCode), 204)
	sfWantField(t, "ada completes second", sfCompleteChange(e, ada, adaCode), "new_email", "unique")
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Errorf("ada's email = %v, want unchanged", got)
	}
	if got := sfProfile(t, e, bob)["email"]; got != "both@example.com" {
		t.Errorf("bob's email = %v, want both@example.com", got)
	}
}

func TestSurfaceChangeEmailOlderCodeVoided(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	first := sfAskChange(t, e, ada, "one@example.com")
	second := sfAskChange(t, e, ada, "two@example.com")
	if first == second {
		t.Fatal("two requests gave the same code")
	}
	sfWantStatus(t, "complete with the second code", sfCompleteChange(e, ada, second), 204)
	sfWantField(t, "complete with the first code after the second", sfCompleteChange(e, ada, first), "confirmation_code", "invalid")
	if got := sfProfile(t, e, ada)["email"]; got != "two@example.com" {
		t.Errorf("email = %v, want two@example.com", got)
	}
	if s := sfLoginStatus(e, "one@example.com", testPassword); s != 400 {
		t.Errorf("login with the voided code's address = %d, want 400", s)
	}
}

func TestSurfaceChangeEmailExpiredAndUnknown(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	code := sfAskChange(t, e, ada, "new@example.com")
	for _, c := range []string{strings.Repeat("0", 64), "nope", strings.ToUpper(code)} {
		sfWantField(t, "complete with code "+c, sfCompleteChange(e, ada, c), "confirmation_code", "invalid")
	}
	sfWantField(t, "complete without a code", e.do("POST", "/api/v2/changeemail/complete/", obj{}, ada), "confirmation_code", "required")
	e.Clock.Advance(25 * time.Hour)
	sfWantField(t, "complete after 25 h", sfCompleteChange(e, ada, code), "confirmation_code", "expired")
	if got := sfProfile(t, e, ada)["email"]; got != "ada@example.com" {
		t.Errorf("email after an expired code = %v, want ada@example.com", got)
	}
}
