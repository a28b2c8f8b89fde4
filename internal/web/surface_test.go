package web_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/web"
)

// The account surface of SPEC §4.5–4.8 over real HTTP: change of address,
// activation, deletion and API keys, with their side effects.

// Subjects of the mails of this surface (internal/mail/templates).
const (
	sfSubjectConfirm   = "Confirm your new email address"
	sfSubjectRequested = "Someone asked to change your account's email address"
	sfSubjectChanged   = "Your email address was changed"
)

var (
	sfChangeLink     = regexp.MustCompile(`https://dash\.example\.com/changeemail/([0-9a-f]{64})/confirm/`)
	sfActivationLink = regexp.MustCompile(`https://dash\.example\.com/activation/([0-9a-f]{64})/confirm/`)
	sfTokenPattern   = regexp.MustCompile(`^[a-z0-9]{40}$`)
	sfTimePattern    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$`)
)

// sfMails returns the delivered mails (activation included) to to with the
// subject, newest first.
func sfMails(e *env, to, subject string) []account.DevMail {
	e.t.Helper()
	var out []account.DevMail
	for _, m := range e.allMail() {
		if m.To == to && m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// sfWantField fails unless r is a 400 whose first error on field has code.
func sfWantField(t *testing.T, what string, r response, field, code string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Errorf("%s = %d %s, want 400 with %s/%s", what, r.Status, r.Body, field, code)
		return
	}
	if got := r.Codes(t, field); len(got) == 0 || got[0] != code {
		t.Errorf("%s: codes on %q = %v (body %s), want [%s]", what, field, got, r.Body, code)
	}
}

// sfWantDetail fails unless r has the status and exactly the body
// {"detail": detail, "code": code} ("" detail: any non-empty one).
func sfWantDetail(t *testing.T, what string, r response, status int, code, detail string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d %s, want %d %s", what, r.Status, r.Body, status, code)
		return
	}
	m := r.JSON(t)
	d, _ := m["detail"].(string)
	if len(m) != 2 || m["code"] != code || d == "" || detail != "" && d != detail {
		t.Errorf("%s: body = %s, want {\"detail\": %q, \"code\": %q}", what, r.Body, detail, code)
	}
}

// sfWantStatus fails unless r has the status.
func sfWantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
}

func sfProfile(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	r := e.do("GET", "/api/v2/profile/", nil, token)
	if r.Status != 200 {
		t.Fatalf("GET profile = %d %s, want 200", r.Status, r.Body)
	}
	return r.JSON(t)
}

func sfLoginStatus(e *env, email, pw string) int {
	e.t.Helper()
	return e.do("POST", "/api/v2/login/", obj{"email": email, "password": pw, "recaptcha": "x"}, "").Status
}

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

// sfActivationToken returns the token of the newest activation mail to email.
func sfActivationToken(t *testing.T, e *env, email string) string {
	t.Helper()
	e.deliver()
	mails := sfMails(e, email, activationSubject)
	if len(mails) == 0 {
		t.Fatalf("no activation mail to %s", email)
	}
	m := sfActivationLink.FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("activation mail to %s has no link %s:\n%s", email, sfActivationLink, mails[0].Text)
	}
	return m[1]
}

// sfActivation GETs the status, checking its shape.
func sfActivation(t *testing.T, e *env, token string) map[string]any {
	t.Helper()
	r := e.do("GET", "/api/v2/activation/", nil, token)
	if r.Status != 200 {
		t.Fatalf("GET activation = %d %s, want 200", r.Status, r.Body)
	}
	return sfCheckActivation(t, "GET activation", r.JSON(t))
}

func sfCheckActivation(t *testing.T, what string, m map[string]any) map[string]any {
	t.Helper()
	keys := slices.Sorted(maps.Keys(m))
	want := []string{"created_at", "email_is_verified", "last_time_email_verification_email_sent", "updated_at"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("%s: keys (-want +got):\n%s", what, diff)
	}
	if _, ok := m["email_is_verified"].(bool); !ok {
		t.Errorf("%s: email_is_verified = %v, want a boolean", what, m["email_is_verified"])
	}
	for _, k := range []string{"created_at", "last_time_email_verification_email_sent", "updated_at"} {
		if s, _ := m[k].(string); !sfTimePattern.MatchString(s) {
			t.Errorf("%s: %s = %v, want an ISO 8601 time with microseconds and offset", what, k, m[k])
		}
	}
	return m
}

func sfCompleteActivation(e *env, token, auth string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/activation/complete/", obj{"activation_token": token}, auth)
}

func TestSurfaceActivationFlow(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	token := sfActivationToken(t, e, "ada@example.com")

	st := sfActivation(t, e, ada)
	if st["email_is_verified"] != false {
		t.Errorf("email_is_verified after registration = %v, want false", st["email_is_verified"])
	}
	if st["last_time_email_verification_email_sent"] != st["created_at"] {
		t.Errorf("last sent = %v, want the registration time %v", st["last_time_email_verification_email_sent"], st["created_at"])
	}
	sfWantStatus(t, "PATCH timezone", e.do("PATCH", "/api/v2/profile/", obj{"timezone": "America/Los_Angeles"}, ada), 200)
	if c, _ := sfActivation(t, e, ada)["created_at"].(string); !strings.HasSuffix(c, "-08:00") {
		t.Errorf("created_at in America/Los_Angeles = %q, want the -08:00 offset of the user's time zone", c)
	}

	r := sfCompleteActivation(e, token, "")
	if r.Status != 200 {
		t.Fatalf("activation complete = %d %s, want 200", r.Status, r.Body)
	}
	m := r.JSON(t)
	newTok, _ := m["token"].(string)
	if len(m) != 1 || !sfTokenPattern.MatchString(newTok) || newTok == ada {
		t.Errorf("activation complete body = %s, want {\"token\": a new 40-char token}", r.Body)
	}
	if got := sfActivation(t, e, ada)["email_is_verified"]; got != true {
		t.Errorf("email_is_verified after completion (old token) = %v, want true", got)
	}
	if got := sfProfile(t, e, newTok)["email"]; got != "ada@example.com" {
		t.Errorf("the new token's account = %v, want ada@example.com", got)
	}
	sfWantField(t, "reuse of the activation token", sfCompleteActivation(e, token, ""), "activation_token", "invalid")
	sfWantField(t, "made-up activation token", sfCompleteActivation(e, strings.Repeat("a", 64), ""), "activation_token", "invalid")
	sfWantField(t, "malformed activation token", sfCompleteActivation(e, "nope", ""), "activation_token", "invalid")
	sfWantField(t, "no activation token", e.do("POST", "/api/v2/activation/complete/", obj{}, ""), "activation_token", "required")

	// Verified: a resend answers the status and sends nothing.
	before := len(e.allMail())
	r = e.do("POST", "/api/v2/activation/resend/", nil, ada)
	if r.Status != 200 {
		t.Fatalf("resend when verified = %d %s, want 200", r.Status, r.Body)
	}
	if got := sfCheckActivation(t, "resend when verified", r.JSON(t))["email_is_verified"]; got != true {
		t.Errorf("resend when verified: email_is_verified = %v, want true", got)
	}
	e.deliver()
	if n := len(e.allMail()); n != before {
		t.Errorf("resend when verified sent %d mails, want none", n-before)
	}
}

func TestSurfaceActivationCompleteWithBadAuth(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	token := sfActivationToken(t, e, "ada@example.com")
	sfWantDetail(t, "complete with an unknown token header", sfCompleteActivation(e, token, strings.Repeat("z", 40)),
		401, "authentication_failed", "Invalid token.")
	r := sfCompleteActivation(e, token, e.login("ada@example.com", testPassword))
	sfWantStatus(t, "complete with a valid token header", r, 200)
}

func TestSurfaceActivationExpired(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	token := sfActivationToken(t, e, "ada@example.com")
	e.Clock.Advance(73 * time.Hour)
	sfWantField(t, "activation after 73 h", sfCompleteActivation(e, token, ""), "activation_token", "expired")
	if got := sfActivation(t, e, ada)["email_is_verified"]; got != false {
		t.Errorf("email_is_verified after an expired token = %v, want false", got)
	}
}

func TestSurfaceActivationResend(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	first := sfActivationToken(t, e, "ada@example.com")
	e.Clock.Advance(time.Hour)

	r := e.do("POST", "/api/v2/activation/resend/", nil, ada)
	if r.Status != 200 {
		t.Fatalf("resend = %d %s, want 200", r.Status, r.Body)
	}
	st := sfCheckActivation(t, "resend", r.JSON(t))
	if st["email_is_verified"] != false || st["last_time_email_verification_email_sent"] == st["created_at"] {
		t.Errorf("resend status = %s, want unverified with a later last sent time", r.Body)
	}
	if got := sfActivation(t, e, ada)["last_time_email_verification_email_sent"]; got != st["last_time_email_verification_email_sent"] {
		t.Errorf("GET after resend: last sent = %v, want %v", got, st["last_time_email_verification_email_sent"])
	}
	if n := len(sfMails(e, "ada@example.com", activationSubject)); n != 1 {
		t.Fatalf("before delivery: %d activation mails, want 1", n)
	}
	second := sfActivationToken(t, e, "ada@example.com")
	if n := len(sfMails(e, "ada@example.com", activationSubject)); n != 2 || second == first {
		t.Errorf("after a resend: %d activation mails (new token %v), want 2 with a new token", n, second != first)
	}

	r = e.do("POST", "/api/v2/activation/resend/", nil, ada)
	sfWantDetail(t, "second resend within 60 s", r, 429, "throttled", "")
	sfCheckThrottled(t, r, 1, 60)
	e.deliver()
	if n := len(sfMails(e, "ada@example.com", activationSubject)); n != 2 {
		t.Errorf("a throttled resend sent mail: %d activation mails, want 2", n)
	}
	// Either link works; the older one stays valid until it expires.
	sfWantStatus(t, "complete with the first link", sfCompleteActivation(e, first, ""), 200)
}

// sfCheckThrottled checks Retry-After and the detail of a 429.
func sfCheckThrottled(t *testing.T, r response, lo, hi int) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || n < lo || n > hi {
		t.Errorf("Retry-After = %q, want seconds in [%d, %d]", r.Header.Get("Retry-After"), lo, hi)
		return n
	}
	if want := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n); r.JSON(t)["detail"] != want {
		t.Errorf("429 detail = %v, want %q", r.JSON(t)["detail"], want)
	}
	return n
}

// sfLimiterClock gives the server a product limiter on a clock of the test,
// with the other rate limits at their defaults.
func sfLimiterClock(c *clock) func(*envOptions) {
	return func(o *envOptions) {
		o.Web.Limiter = ratelimit.NewMemory(c.Now)
		o.Web.Limits = web.DefaultRateLimits()
	}
}

func TestSurfaceActivationResendPerDay(t *testing.T) {
	lc := &clock{t: time.Now()}
	e := newEnv(t, sfLimiterClock(lc))
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	for i := 1; i <= 5; i++ {
		sfWantStatus(t, fmt.Sprintf("resend %d, a minute after the last", i), e.do("POST", "/api/v2/activation/resend/", nil, ada), 200)
		lc.Advance(61 * time.Second)
	}
	r := e.do("POST", "/api/v2/activation/resend/", nil, ada)
	sfWantDetail(t, "sixth resend in a day", r, 429, "throttled", "")
	sfCheckThrottled(t, r, 61, 24*3600)
	// The limit is per account.
	sfWantStatus(t, "another account's resend", e.do("POST", "/api/v2/activation/resend/", nil, bob), 200)
	e.deliver()
	if n := len(sfMails(e, "ada@example.com", activationSubject)); n != 6 {
		t.Errorf("activation mails = %d, want 6 (registration and five resends)", n)
	}
	lc.Advance(24 * time.Hour)
	sfWantStatus(t, "resend a day later", e.do("POST", "/api/v2/activation/resend/", nil, ada), 200)
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

// sfCreateKey creates an API key and checks the 201 body.
func sfCreateKey(t *testing.T, e *env, token, label string) map[string]any {
	t.Helper()
	r := e.do("POST", "/api/v2/apikey/", obj{"label": label}, token)
	if r.Status != 201 {
		t.Fatalf("create API key = %d %s, want 201", r.Status, r.Body)
	}
	k := r.JSON(t)
	sfCheckKey(t, "create", k, label)
	if key, _ := k["key"].(string); !sfTokenPattern.MatchString(key) {
		t.Errorf("created key = %q, want 40 of [a-z0-9]", key)
	}
	return k
}

// sfCheckKey checks the shape of an API key object.
func sfCheckKey(t *testing.T, what string, k map[string]any, label string) {
	t.Helper()
	if len(k) != 5 || k["label"] != label {
		t.Errorf("%s: key object = %v, want id, key, label %q, created_at, updated_at", what, k, label)
	}
	if id, ok := k["id"].(float64); !ok || id < 1 || id != float64(int64(id)) {
		t.Errorf("%s: id = %v, want a positive integer", what, k["id"])
	}
	for _, f := range []string{"created_at", "updated_at"} {
		if s, _ := k[f].(string); !sfTimePattern.MatchString(s) {
			t.Errorf("%s: %s = %v, want an ISO 8601 time with microseconds", what, f, k[f])
		}
	}
}

func sfKeyPath(k map[string]any) string {
	return fmt.Sprintf("/api/v2/apikey/%d/", int64(k["id"].(float64)))
}

func sfMasked(key string) string { return key[:4] + strings.Repeat("*", 36) }

func TestSurfaceAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "deploy")
	key := k["key"].(string)
	if got := sfProfile(t, e, key)["email"]; got != "ada@example.com" {
		t.Errorf("profile with the API key = %v, want ada@example.com", got)
	}

	r := e.do("GET", "/api/v2/apikey/", nil, ada)
	if r.Status != 200 {
		t.Fatalf("list = %d %s, want 200", r.Status, r.Body)
	}
	list := r.JSON(t)
	results, _ := list["results"].([]any)
	if len(list) != 4 || list["count"] != 1.0 || list["next"] != nil || list["previous"] != nil || len(results) != 1 {
		t.Fatalf("list = %s, want count 1, next and previous null, one result", r.Body)
	}
	got := results[0].(map[string]any)
	sfCheckKey(t, "list", got, "deploy")
	if got["key"] != sfMasked(key) || got["id"] != k["id"] {
		t.Errorf("listed key = %v (id %v), want %s (id %v)", got["key"], got["id"], sfMasked(key), k["id"])
	}

	r = e.do("GET", sfKeyPath(k), nil, ada)
	sfWantStatus(t, "GET the key", r, 200)
	if one := r.JSON(t); one["key"] != sfMasked(key) || one["created_at"] != k["created_at"] {
		t.Errorf("GET the key = %s, want it masked as %s", r.Body, sfMasked(key))
	} else {
		sfCheckKey(t, "GET", one, "deploy")
	}

	e.Clock.Advance(time.Minute)
	r = e.do("PATCH", sfKeyPath(k), obj{"label": "renamed"}, ada)
	sfWantStatus(t, "PATCH the label", r, 200)
	if p := r.JSON(t); p["label"] != "renamed" || p["key"] != sfMasked(key) || p["updated_at"] == k["updated_at"] || p["created_at"] != k["created_at"] {
		t.Errorf("PATCH = %s, want label renamed, key masked, updated_at moved, created_at kept", r.Body)
	}
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "renamed" {
		t.Errorf("label after PATCH = %v, want renamed", l)
	}

	r = e.do("DELETE", sfKeyPath(k), nil, ada)
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("DELETE = %d %q, want 204 with no body", r.Status, r.Body)
	}
	sfWantDetail(t, "the deleted key", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	sfWantDetail(t, "GET the deleted key", e.do("GET", sfKeyPath(k), nil, ada), 404, "not_found", "")
	sfWantDetail(t, "DELETE the deleted key", e.do("DELETE", sfKeyPath(k), nil, ada), 404, "not_found", "")
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 0.0 {
		t.Errorf("count after DELETE = %v, want 0", c)
	}
	sfWantDetail(t, "GET a login token's id", e.do("GET", "/api/v2/apikey/1/", nil, ada), 404, "not_found", "")
	sfWantDetail(t, "GET a non-numeric id", e.do("GET", "/api/v2/apikey/abc/", nil, ada), 404, "not_found", "")
}

func TestSurfaceAPIKeyOtherAccount(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	bob := e.register("bob@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "ada's")
	sfWantDetail(t, "bob GETs ada's key", e.do("GET", sfKeyPath(k), nil, bob), 404, "not_found", "")
	sfWantDetail(t, "bob PATCHes ada's key", e.do("PATCH", sfKeyPath(k), obj{"label": "bob's"}, bob), 404, "not_found", "")
	sfWantDetail(t, "bob DELETEs ada's key", e.do("DELETE", sfKeyPath(k), nil, bob), 404, "not_found", "")
	if c := e.do("GET", "/api/v2/apikey/", nil, bob).JSON(t)["count"]; c != 0.0 {
		t.Errorf("bob's list count = %v, want 0", c)
	}
	sfProfile(t, e, k["key"].(string))
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "ada's" {
		t.Errorf("label after bob's PATCH = %v, want unchanged", l)
	}
}

func TestSurfaceAPIKeyNotAllowed(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	k := sfCreateKey(t, e, ada, "ci")
	key := k["key"].(string)
	const detail = "Cannot query this API endpoint with an API key."
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v2/apikey/", nil},
		{"POST", "/api/v2/apikey/", obj{"label": "x"}},
		{"GET", sfKeyPath(k), nil},
		{"PATCH", sfKeyPath(k), obj{"label": "x"}},
		{"DELETE", sfKeyPath(k), nil},
		{"POST", "/api/v2/logout/", nil},
		{"GET", "/api/v2/logout/", nil},
		{"POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}},
		{"POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": "new@example.com"}},
		{"POST", "/api/v2/changeemail/complete/", obj{"confirmation_code": strings.Repeat("0", 64)}},
		{"POST", "/api/v2/changeemail/check/", obj{"confirmation_code": strings.Repeat("0", 64)}},
		{"POST", "/api/v2/deleteaccount/", obj{"password": testPassword, "recaptcha": "x"}},
	} {
		r := e.do(c.method, c.path, c.body, key)
		sfWantDetail(t, "API key on "+c.method+" "+c.path, r, 403, "api_key_not_allowed", detail)
	}
	// What the key may do.
	sfProfile(t, e, key)
	sfWantStatus(t, "PATCH profile with an API key", e.do("PATCH", "/api/v2/profile/", obj{"first_name": "Ada"}, key), 200)
	sfActivation(t, e, key)
	// Nothing of the refused calls happened.
	if s := sfLoginStatus(e, "ada@example.com", testPassword); s != 200 {
		t.Errorf("login with the unchanged password = %d, want 200", s)
	}
	if p := sfProfile(t, e, ada); p["email"] != "ada@example.com" || p["first_name"] != "Ada" {
		t.Errorf("profile = %v, want ada@example.com, first name Ada", p)
	}
	if l := e.do("GET", sfKeyPath(k), nil, ada).JSON(t)["label"]; l != "ci" {
		t.Errorf("label after the key's own PATCH = %v, want ci", l)
	}
}

func TestSurfaceAPIKeyLabelAndLimit(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	sfWantField(t, "create with a 201-character label", e.do("POST", "/api/v2/apikey/", obj{"label": strings.Repeat("é", 201)}, ada), "label", "max_length")
	k := sfCreateKey(t, e, ada, strings.Repeat("é", 200))
	sfWantField(t, "PATCH with a 201-character label", e.do("PATCH", sfKeyPath(k), obj{"label": strings.Repeat("x", 201)}, ada), "label", "max_length")
	for i := 2; i <= 100; i++ {
		if r := e.do("POST", "/api/v2/apikey/", obj{"label": fmt.Sprint(i)}, ada); r.Status != 201 {
			t.Fatalf("create key %d = %d %s, want 201", i, r.Status, r.Body)
		}
	}
	r := e.do("POST", "/api/v2/apikey/", obj{"label": "101"}, ada)
	if r.Status != 400 {
		t.Fatalf("create the 101st key = %d %s, want 400", r.Status, r.Body)
	}
	if codes := r.Codes(t, "non_field_errors"); len(codes) != 1 {
		t.Errorf("101st key: body %s, want one non_field_errors error", r.Body)
	}
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 100.0 {
		t.Errorf("count = %v, want 100", c)
	}
	sfWantStatus(t, "DELETE one key", e.do("DELETE", sfKeyPath(k), nil, ada), 204)
	sfWantStatus(t, "create after deleting one", e.do("POST", "/api/v2/apikey/", obj{"label": "again"}, ada), 201)
}

func TestSurfaceAPIKeyPagination(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	for i := 1; i <= 30; i++ {
		sfCreateKey(t, e, ada, fmt.Sprint(i))
	}
	base := e.URL + "/api/v2/apikey/"
	want := []struct{ next, prev any }{
		{base + "?page=2&page_size=10", nil},
		{base + "?page=3&page_size=10", base + "?page_size=10"},
		{nil, base + "?page=2&page_size=10"},
	}
	seen := map[any]bool{}
	for i, w := range want {
		page := i + 1
		r := e.do("GET", fmt.Sprintf("/api/v2/apikey/?page=%d&page_size=10", page), nil, ada)
		if r.Status != 200 {
			t.Fatalf("page %d = %d %s, want 200", page, r.Status, r.Body)
		}
		m := r.JSON(t)
		if m["count"] != 30.0 || m["next"] != w.next || m["previous"] != w.prev {
			t.Errorf("page %d: count %v next %v previous %v; want 30, %v, %v", page, m["count"], m["next"], m["previous"], w.next, w.prev)
		}
		results, _ := m["results"].([]any)
		if len(results) != 10 {
			t.Fatalf("page %d has %d results, want 10", page, len(results))
		}
		for j, x := range results {
			k := x.(map[string]any)
			if wantLabel := fmt.Sprint(i*10 + j + 1); k["label"] != wantLabel {
				t.Errorf("page %d result %d label = %v, want %s (oldest first)", page, j, k["label"], wantLabel)
			}
			if s, _ := k["key"].(string); !strings.HasSuffix(s, strings.Repeat("*", 36)) || len(s) != 40 {
				t.Errorf("page %d result %d key = %q, want it masked", page, j, s)
			}
			seen[k["id"]] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("three pages hold %d distinct keys, want 30", len(seen))
	}
	for _, q := range []string{"?page=4&page_size=10", "?page=0", "?page=x"} {
		sfWantDetail(t, "GET apikey/"+q, e.do("GET", "/api/v2/apikey/"+q, nil, ada), 404, "not_found", "Invalid page.")
	}
	m := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)
	if n := len(m["results"].([]any)); n != 25 || m["next"] != base+"?page=2" {
		t.Errorf("default page: %d results, next %v; want 25, %s", n, m["next"], base+"?page=2")
	}
	if n := len(e.do("GET", "/api/v2/apikey/?page_size=1000", nil, ada).JSON(t)["results"].([]any)); n != 30 {
		t.Errorf("page_size=1000 gave %d results, want all 30 (capped at 100)", n)
	}
}

// TestSurfaceAPIKeyPageLast: DRF's PageNumberPagination reads page=last as
// the last page (last_page_strings).
func TestSurfaceAPIKeyPageLast(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	for i := 1; i <= 30; i++ {
		sfCreateKey(t, e, ada, fmt.Sprint(i))
	}
	m := e.do("GET", "/api/v2/apikey/?page=last&page_size=10", nil, ada).JSON(t)
	if rs, _ := m["results"].([]any); len(rs) != 10 || rs[0].(map[string]any)["label"] != "21" || m["next"] != nil {
		t.Errorf("page=last&page_size=10: first label %v, next %v; want the last page (labels 21..30, next null)",
			rs[0].(map[string]any)["label"], m["next"])
	}
}

func TestSurfaceAPIKeyRevokedByPasswordChange(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "ci")["key"].(string)
	r := e.do("POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": brNewPassword}, ada)
	sfWantStatus(t, "changepassword", r, 204)
	sfWantDetail(t, "API key after a password change", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	if c := e.do("GET", "/api/v2/apikey/", nil, ada).JSON(t)["count"]; c != 0.0 {
		t.Errorf("keys listed after a password change = %v, want 0", c)
	}
}

func TestSurfaceAPIKeyRevokedByReset(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", testPassword)
	key := sfCreateKey(t, e, ada, "ci")["key"].(string)
	token := e.resetToken("ada@example.com")
	r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": brNewPassword, "password_reset_token": token, "recaptcha": "x"}, "")
	sfWantStatus(t, "reset complete", r, 200)
	sfWantDetail(t, "API key after a reset", e.do("GET", "/api/v2/profile/", nil, key), 401, "authentication_failed", "Invalid token.")
	sfWantDetail(t, "login token after a reset", e.do("GET", "/api/v2/profile/", nil, ada), 401, "authentication_failed", "Invalid token.")
}
