package web_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/ratelimit"
	"github.com/accountd/accountd/internal/web"
)

var sfActivationLink = regexp.MustCompile(`https://dash\.example\.com/activation/([0-9a-f]{64})/confirm/`)

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
