package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
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

// An activation link sent to A works no more once the address went A→B→A:
// the change of address ended it, and coming back does not revive it.
func TestActivationVoidedByEmailChangeAwayAndBack(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	old := sfActivationToken(t, e, "ada@example.com")

	sfWantStatus(t, "move to B", sfCompleteChange(e, ada, sfAskChange(t, e, ada, "ada@example.org")), 204)
	sfWantStatus(t, "move back to A", sfCompleteChange(e, ada, sfAskChange(t, e, ada, "ada@example.com")), 204)

	r := sfCompleteActivation(e, old, "")
	sfWantField(t, "activation link from before A→B→A", r, "activation_token", "invalid")
	if _, ok := r.JSON(t)["token"]; ok {
		t.Errorf("the old activation link gave a login token: %s", r.Body)
	}
}

// An activation link sent before a password change cannot be used after it
// (it yields a login token). Refusing tokens older than the password missed
// one issued in the same instant (the test clock stands still); voided in
// the store, it is refused whatever the clock says.
func TestActivationVoidedByPasswordChange(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	old := sfActivationToken(t, e, "ada@example.com")
	r := e.do("POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}, ada)
	sfWantStatus(t, "change password", r, 204)
	sfWantField(t, "activation link from before the password change", sfCompleteActivation(e, old, ""),
		"activation_token", "invalid")
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
