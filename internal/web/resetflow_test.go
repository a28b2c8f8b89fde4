package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accountd/accountd/internal/account"
)

// Tests of the password reset flow (docs/api.md#password-reset, docs/api.md "Password reset")
// over real HTTP. Helpers of this file are prefixed rf.

const (
	rfNewPassword  = "Battery-Staple-5501"
	rfUserAgent    = "rf-test-browser/1.0 (X11; Linux x86_64)"
	rfResetSubject = "Reset your password"
	rfDoneSubject  = "Your password was changed"
)

// rfLinkPattern matches the confirm link of a reset email on the configured
// dashboard URL (newEnv: https://dash.example.com).
var rfLinkPattern = regexp.MustCompile(`https://dash\.example\.com/resetpassword/([0-9a-f]{64})/confirm/`)

// rfTokenPattern is the shape of a login token (docs/api.md#conventions).
var rfTokenPattern = regexp.MustCompile(`^[a-z0-9]{40}$`)

// rfRequest asks for a reset of email, with extra headers, and returns the
// response.
func rfRequest(e *env, email string, header http.Header) response {
	e.t.Helper()
	b, err := json.Marshal(obj{"email": email, "recaptcha": "x"})
	if err != nil {
		e.t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	return e.request("POST", "/api/v2/resetpassword/", string(b), h)
}

// rfComplete posts a new password with a reset token.
func rfComplete(e *env, token, pw string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/resetpassword/complete/",
		obj{"password": pw, "password_reset_token": token, "recaptcha": "x"}, "")
}

// rfCheck asks whether a reset token is usable.
func rfCheck(e *env, token string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/resetpassword/check/", obj{"password_reset_token": token}, "")
}

// rfCancel voids a reset token.
func rfCancel(e *env, token string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/resetpassword/cancel/", obj{"password_reset_token": token}, "")
}

// rfLoginStatus tries to log in and returns the status.
func rfLoginStatus(e *env, email, pw string) int {
	e.t.Helper()
	return e.do("POST", "/api/v2/login/", obj{"email": email, "password": pw, "recaptcha": "x"}, "").Status
}

// rfProfileStatus returns the status of GET /api/v2/profile/ with token.
func rfProfileStatus(e *env, token string) int {
	e.t.Helper()
	return e.do("GET", "/api/v2/profile/", nil, token).Status
}

// rfMails returns the delivered mails with the given subject, newest first,
// to the given recipient ("" for any).
func rfMails(e *env, to, subject string) []account.DevMail {
	e.t.Helper()
	var out []account.DevMail
	for _, m := range e.inbox() {
		if m.Subject == subject && (to == "" || m.To == to) {
			out = append(out, m)
		}
	}
	return out
}

// rfEvents returns every audit event of the given type.
func rfEvents(e *env, typ string) []account.Event {
	e.t.Helper()
	all, err := e.Store.Events(context.Background(), account.EventFilter{Limit: 10000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []account.Event
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// rfWantFieldCode fails unless r is a 400 whose first error on field has
// the code want.
func rfWantFieldCode(t *testing.T, what string, r response, field, want string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Errorf("%s = %d %s, want 400 with %s/%s", what, r.Status, r.Body, field, want)
		return
	}
	if got := r.Codes(t, field); len(got) == 0 || got[0] != want {
		t.Errorf("%s: codes on %q = %v (body %s), want [%s]", what, field, got, r.Body, want)
	}
}

// rfWantStatus fails unless r has the status want.
func rfWantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Errorf("%s = %d %s, want %d", what, r.Status, r.Body, want)
	}
}

func TestResetflowCompleteDetails(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	regTok := e.register(email, testPassword)
	login1 := e.login(email, testPassword)
	login2 := e.login(email, testPassword)
	if login1 == login2 {
		t.Fatalf("two logins gave the same token %q", login1)
	}
	if v := e.do("GET", "/api/v2/profile/", nil, login1).JSON(t)["email_is_verified"]; v != false {
		t.Errorf("profile email_is_verified before the reset = %v, want false", v)
	}

	requestedAt := e.Clock.Now()
	r := rfRequest(e, email, http.Header{"User-Agent": {rfUserAgent}})
	rfWantStatus(t, "reset request", r, http.StatusNoContent)
	e.deliver()
	mails := rfMails(e, email, rfResetSubject)
	if len(mails) != 1 {
		t.Fatalf("reset mails to %s = %d, want 1 (inbox %+v)", email, len(mails), e.inbox())
	}
	m := mails[0]
	match := rfLinkPattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("reset mail text has no https://dash.example.com/resetpassword/{64 hex}/confirm/ link:\n%s", m.Text)
	}
	tok := match[1]
	confirm := "https://dash.example.com/resetpassword/" + tok + "/confirm/"
	cancel := "https://dash.example.com/resetpassword/" + tok + "/cancel/"
	expires := requestedAt.Add(time.Hour).UTC().Format("2006-01-02 15:04 MST")
	requested := requestedAt.UTC().Format("2006-01-02 15:04 MST")
	for _, part := range []struct{ name, body string }{{"text", m.Text}, {"HTML", m.HTML}} {
		for _, want := range []struct{ what, s string }{
			{"confirm link", confirm},
			{"cancel link", cancel},
			{"expiry time", expires},
			{"request time", requested},
			{"request IP", "127.0.0.1"},
			// The email names the browser, never the raw User-Agent (issue 12, defect 7).
			{"request browser", "rf-test-browser/1.0 on Linux"},
		} {
			if !strings.Contains(part.body, want.s) {
				t.Errorf("reset mail %s contains the %s %q = false, want true:\n%s", part.name, want.what, want.s, part.body)
			}
		}
	}

	var audited bool
	for _, ev := range rfEvents(e, "reset_requested") {
		if ev.Email == email && ev.UserID != 0 && ev.IP == "127.0.0.1" && ev.UserAgent == rfUserAgent {
			audited = true
		}
	}
	if !audited {
		t.Errorf("audit event reset_requested for %s with its account, IP and User-Agent exists = false, want true (events %+v)",
			email, rfEvents(e, "reset_requested"))
	}

	r = rfComplete(e, tok, rfNewPassword)
	if r.Status != http.StatusOK {
		t.Fatalf("complete = %d %s, want 200", r.Status, r.Body)
	}
	newTok, _ := r.JSON(t)["token"].(string)
	if !rfTokenPattern.MatchString(newTok) {
		t.Errorf("complete token = %q, want 40 characters of [a-z0-9]", newTok)
	}
	for name, old := range map[string]string{"register": regTok, "first login": login1, "second login": login2} {
		if got := rfProfileStatus(e, old); got != http.StatusUnauthorized {
			t.Errorf("profile with the %s token after the reset = %d, want 401", name, got)
		}
	}
	if got := rfProfileStatus(e, newTok); got != http.StatusOK {
		t.Errorf("profile with the new token = %d, want 200", got)
	}
	if got := rfLoginStatus(e, email, testPassword); got != http.StatusBadRequest {
		t.Errorf("login with the old password = %d, want 400", got)
	}
	if got := rfLoginStatus(e, email, rfNewPassword); got != http.StatusOK {
		t.Errorf("login with the new password = %d, want 200", got)
	}
	rfWantFieldCode(t, "complete with the same token again", rfComplete(e, tok, "Another-Passw0rd-88"), "password_reset_token", "invalid")

	e.deliver()
	if got := len(rfMails(e, email, rfDoneSubject)); got != 1 {
		t.Errorf("%q mails to %s after deliver = %d, want 1", rfDoneSubject, email, got)
	}
	p := e.do("GET", "/api/v2/profile/", nil, newTok)
	if v := p.JSON(t)["email_is_verified"]; v != true {
		t.Errorf("profile email_is_verified after the reset = %v, want true", v)
	}
}

func TestResetflowFirstTokenUsedVoidsTheOthers(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	first := e.resetToken(email)
	second := e.resetToken(email)
	if first == second {
		t.Fatalf("two reset requests gave the same token")
	}
	rfWantStatus(t, "check the second token before any use", rfCheck(e, second), http.StatusNoContent)
	rfWantStatus(t, "complete with the first token", rfComplete(e, first, rfNewPassword), http.StatusOK)
	rfWantFieldCode(t, "check the second token", rfCheck(e, second), "password_reset_token", "invalid")
	rfWantFieldCode(t, "complete with the second token", rfComplete(e, second, "Another-Passw0rd-88"), "password_reset_token", "invalid")
	if got := rfLoginStatus(e, email, rfNewPassword); got != http.StatusOK {
		t.Errorf("login with the password of the first token = %d, want 200", got)
	}
}

func TestResetflowUnknownAddressLooksTheSame(t *testing.T) {
	e := newEnv(t)
	const known, unknown = "ada@example.com", "nobody@example.com"
	e.register(known, testPassword)
	e.deliver()
	before := len(e.inbox())

	rk := rfRequest(e, known, nil)
	ru := rfRequest(e, unknown, nil)
	rfWantStatus(t, "reset request for a known address", rk, http.StatusNoContent)
	rfWantStatus(t, "reset request for an unknown address", ru, http.StatusNoContent)
	if len(rk.Body) != 0 || len(ru.Body) != 0 {
		t.Errorf("reset request bodies = %q (known), %q (unknown), want both empty", rk.Body, ru.Body)
	}
	names := func(h http.Header) []string {
		var out []string
		for k := range h {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(names(rk.Header), names(ru.Header)); diff != "" {
		t.Errorf("header names of a known (-) and an unknown (+) address differ:\n%s", diff)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
		if rk.Header.Get(h) != ru.Header.Get(h) {
			t.Errorf("header %s = %q (known), %q (unknown), want equal", h, rk.Header.Get(h), ru.Header.Get(h))
		}
	}

	e.deliver()
	inbox := e.inbox()
	if got := len(inbox) - before; got != 1 {
		t.Errorf("mails after the two reset requests = %d, want 1 (to the known address)", got)
	}
	for _, m := range inbox {
		if strings.EqualFold(m.To, unknown) {
			t.Errorf("a mail went to the unknown address: %q %q", m.To, m.Subject)
		}
	}
	found := false
	for _, ev := range rfEvents(e, "reset_requested") {
		if ev.Email == unknown && ev.Detail == "no active account" {
			found = true
			if ev.UserID != 0 {
				t.Errorf("reset_requested event of the unknown address has user id %d, want 0", ev.UserID)
			}
			if ev.IP != "127.0.0.1" {
				t.Errorf("reset_requested event of the unknown address has IP %q, want 127.0.0.1", ev.IP)
			}
		}
	}
	if !found {
		t.Errorf("audit event reset_requested for %s with detail %q exists = false, want true (events %+v)",
			unknown, "no active account", rfEvents(e, "reset_requested"))
	}
}

func TestResetflowPerAddressCap(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.Config.ResetEmailsPerHour = 3 })
	const email = "ada@example.com"
	e.register(email, testPassword)
	for i := range 5 {
		rfWantStatus(t, fmt.Sprintf("reset request #%d", i+1), rfRequest(e, email, nil), http.StatusNoContent)
	}
	e.deliver()
	if got := len(rfMails(e, email, rfResetSubject)); got != 3 {
		t.Errorf("reset mails after 5 requests with a cap of 3 = %d, want 3", got)
	}
	if got := len(rfEvents(e, "reset_suppressed")); got != 2 {
		t.Errorf("reset_suppressed events = %d, want 2", got)
	}

	e.Clock.Advance(61 * time.Minute)
	rfWantStatus(t, "reset request an hour later", rfRequest(e, email, nil), http.StatusNoContent)
	e.deliver()
	if got := len(rfMails(e, email, rfResetSubject)); got != 4 {
		t.Errorf("reset mails after the window passed = %d, want 4", got)
	}
}

// rfResult is what one concurrent request got back; err is set instead when
// the request failed.
type rfResult struct {
	status int
	body   []byte
	err    error
}

// rfConcurrentPosts sends n copies of one JSON body to path at once: each
// goroutine waits on a start barrier, over connections opened beforehand so
// the requests reach the server together.
func rfConcurrentPosts(client *http.Client, url string, body []byte, n int) []rfResult {
	results := make([]rfResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := client.Post(url, "application/json", strings.NewReader(string(body)))
			if err != nil {
				results[i].err = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			results[i] = rfResult{res.StatusCode, b, err}
		}()
	}
	close(start)
	wg.Wait()
	return results
}

func TestResetflowConcurrentCompletes(t *testing.T) {
	const n, rounds = 20, 3
	e := newEnv(t, func(o *envOptions) { o.Config.ResetEmailsPerHour = rounds })
	const email = "ada@example.com"
	e.register(email, testPassword)
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	// Several rounds, each with a fresh token, make a lost race likely to
	// show even when the window is small.
	for round := range rounds {
		tok := e.resetToken(email)
		// Open n connections first (a check consumes nothing).
		check, err := json.Marshal(obj{"password_reset_token": tok})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rfConcurrentPosts(client, e.URL+"/api/v2/resetpassword/check/", check, n) {
			if r.err != nil || r.status != http.StatusNoContent {
				t.Fatalf("round %d: warm-up check #%d = %d %s %v, want 204", round, i, r.status, r.body, r.err)
			}
		}

		pw := fmt.Sprintf("%s-%d", rfNewPassword, round)
		body, err := json.Marshal(obj{"password": pw, "password_reset_token": tok, "recaptcha": "x"})
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for i, r := range rfConcurrentPosts(client, e.URL+"/api/v2/resetpassword/complete/", body, n) {
			switch {
			case r.err != nil:
				t.Errorf("round %d: complete #%d: %v", round, i, r.err)
			case r.status == http.StatusOK:
				ok++
			case r.status == http.StatusBadRequest:
				rfWantFieldCode(t, fmt.Sprintf("round %d: concurrent complete #%d", round, i),
					response{Status: r.status, Body: r.body}, "password_reset_token", "invalid")
			default:
				t.Errorf("round %d: concurrent complete #%d = %d %s, want 200 or 400 invalid", round, i, r.status, r.body)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: successful concurrent completes with one token = %d, want exactly 1", round, ok)
		}
		e.deliver()
		if got := len(rfMails(e, email, rfDoneSubject)); got != round+1 {
			t.Errorf("round %d: %q mails = %d, want %d (one per round)", round, rfDoneSubject, got, round+1)
		}
		if got := rfLoginStatus(e, email, pw); got != http.StatusOK {
			t.Errorf("round %d: login with the new password = %d, want 200", round, got)
		}
	}
}

func TestResetflowHostHeaderIgnored(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	req, err := http.NewRequest("POST", e.URL+"/api/v2/resetpassword/",
		strings.NewReader(`{"email": "ada@example.com", "recaptcha": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("Forwarded", "host=evil.example;proto=http")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("reset request with a spoofed Host = %d, want 204", res.StatusCode)
	}
	e.deliver()
	mails := rfMails(e, email, rfResetSubject)
	if len(mails) != 1 {
		t.Fatalf("reset mails = %d, want 1", len(mails))
	}
	if !rfLinkPattern.MatchString(mails[0].Text) || !rfLinkPattern.MatchString(mails[0].HTML) {
		t.Errorf("reset mail has a link on https://dash.example.com = false, want true:\n%s", mails[0].Text)
	}
	for _, body := range []string{mails[0].Text, mails[0].HTML} {
		if strings.Contains(body, "evil.example") {
			t.Errorf("reset mail mentions evil.example:\n%s", body)
		}
	}
}

func TestResetflowExpiry(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	tok := e.resetToken(email)
	e.Clock.Advance(59 * time.Minute)
	rfWantStatus(t, "check 59 minutes after the request", rfCheck(e, tok), http.StatusNoContent)
	e.Clock.Advance(2 * time.Minute)
	rfWantFieldCode(t, "complete 61 minutes after the request", rfComplete(e, tok, rfNewPassword), "password_reset_token", "expired")
	rfWantFieldCode(t, "check 61 minutes after the request", rfCheck(e, tok), "password_reset_token", "expired")
	if got := rfLoginStatus(e, email, testPassword); got != http.StatusOK {
		t.Errorf("login with the old password after an expired complete = %d, want 200", got)
	}
	if len(rfEvents(e, "reset_expired")) == 0 {
		t.Errorf("reset_expired events = 0, want at least 1")
	}
}

func TestResetflowTokenBeforePasswordChange(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	login := e.register(email, testPassword)
	tok := e.resetToken(email)
	e.Clock.Advance(time.Minute)
	r := e.do("POST", "/api/v2/changepassword/", obj{"password": testPassword, "new_password": rfNewPassword}, login)
	if r.Status != http.StatusNoContent {
		t.Fatalf("changepassword = %d %s, want 204", r.Status, r.Body)
	}
	rfWantFieldCode(t, "check a token issued before a password change", rfCheck(e, tok), "password_reset_token", "invalid")
	rfWantFieldCode(t, "complete with a token issued before a password change",
		rfComplete(e, tok, "Another-Passw0rd-88"), "password_reset_token", "invalid")
	if got := rfLoginStatus(e, email, rfNewPassword); got != http.StatusOK {
		t.Errorf("login with the changed password = %d, want 200", got)
	}

	// A token issued after the change works.
	e.deliver() // the "password changed" notice, so resetToken sees one new mail
	e.Clock.Advance(time.Minute)
	fresh := e.resetToken(email)
	rfWantStatus(t, "complete with a token issued after the change", rfComplete(e, fresh, "Another-Passw0rd-88"), http.StatusOK)
}

func TestResetflowCheck(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	tok := e.resetToken(email)
	for i := range 3 {
		r := rfCheck(e, tok)
		rfWantStatus(t, fmt.Sprintf("check #%d", i+1), r, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("check body = %q, want empty", r.Body)
		}
	}

	for _, c := range []struct{ name, token string }{
		{"abc", "abc"},
		{"upper-case hex", strings.ToUpper(tok)},
		{"63 characters", tok[:63]},
		{"65 characters", tok + "0"},
		{"unknown", strings.Repeat("0", 64)},
	} {
		rfWantFieldCode(t, "check with a "+c.name+" token", rfCheck(e, c.token), "password_reset_token", "invalid")
	}
	rfWantFieldCode(t, "check with no token", e.do("POST", "/api/v2/resetpassword/check/", obj{}, ""), "password_reset_token", "required")

	rfWantStatus(t, "complete after several checks", rfComplete(e, tok, rfNewPassword), http.StatusOK)
	rfWantFieldCode(t, "check after complete", rfCheck(e, tok), "password_reset_token", "invalid")
}

func TestResetflowCancel(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	tok := e.resetToken(email)
	r := rfCancel(e, tok)
	rfWantStatus(t, "cancel", r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("cancel body = %q, want empty", r.Body)
	}
	rfWantFieldCode(t, "complete with a cancelled token", rfComplete(e, tok, rfNewPassword), "password_reset_token", "invalid")
	rfWantFieldCode(t, "check a cancelled token", rfCheck(e, tok), "password_reset_token", "invalid")
	rfWantFieldCode(t, "cancel a cancelled token", rfCancel(e, tok), "password_reset_token", "invalid")
	if got := rfLoginStatus(e, email, testPassword); got != http.StatusOK {
		t.Errorf("login with the old password after cancel = %d, want 200", got)
	}
	if got := rfLoginStatus(e, email, rfNewPassword); got != http.StatusBadRequest {
		t.Errorf("login with the refused new password after cancel = %d, want 400", got)
	}
	if len(rfEvents(e, "reset_cancelled")) != 1 {
		t.Errorf("reset_cancelled events = %d, want 1", len(rfEvents(e, "reset_cancelled")))
	}
}

func TestResetflowWeakPassword(t *testing.T) {
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	tok := e.resetToken(email)

	r := rfComplete(e, strings.Repeat("0", 64), "short")
	rfWantFieldCode(t, "complete with a bad token and a weak password", r, "password_reset_token", "invalid")
	if r.Status == http.StatusBadRequest {
		if got := r.Codes(t, "password"); !slices.Contains(got, "password_too_short") {
			t.Errorf("complete with a bad token and a weak password: codes on password = %v, want password_too_short among them (body %s)", got, r.Body)
		}
	}

	r = rfComplete(e, tok, "short")
	rfWantFieldCode(t, "complete with a good token and a weak password", r, "password", "password_too_short")
	if r.Status == http.StatusBadRequest {
		if _, ok := r.JSON(t)["password_reset_token"]; ok {
			t.Errorf("complete with a good token and a weak password reports password_reset_token: %s", r.Body)
		}
	}
	rfWantStatus(t, "check after a refused weak password", rfCheck(e, tok), http.StatusNoContent)
	rfWantStatus(t, "complete after a refused weak password", rfComplete(e, tok, rfNewPassword), http.StatusOK)
}

func TestResetflowEmailCaseFolding(t *testing.T) {
	e := newEnv(t)
	const stored = "ADA@Example.COM"
	e.register(stored, testPassword)
	rfWantStatus(t, "reset request for ada@example.com", rfRequest(e, "ada@example.com", nil), http.StatusNoContent)
	e.deliver()
	mails := rfMails(e, "", rfResetSubject)
	if len(mails) != 1 {
		t.Fatalf("reset mails = %d, want 1", len(mails))
	}
	if mails[0].To != stored {
		t.Errorf("reset mail To = %q, want the stored address %q", mails[0].To, stored)
	}
	tok := rfLinkPattern.FindStringSubmatch(mails[0].Text)
	if tok == nil {
		t.Fatalf("reset mail has no link:\n%s", mails[0].Text)
	}
	rfWantStatus(t, "complete", rfComplete(e, tok[1], rfNewPassword), http.StatusOK)
	if got := rfLoginStatus(e, stored, rfNewPassword); got != http.StatusOK {
		t.Errorf("login as %s with the new password = %d, want 200", stored, got)
	}
}

func TestResetflowDotlessIHijack(t *testing.T) {
	// CVE-2019-19844: "mıke" (U+0131) upper-cases to "MIKE"; a lookup that
	// matches it to mike@… must still never mail the typed address.
	e := newEnv(t)
	const stored, typed = "mike@example.org", "m\u0131ke@example.org"
	e.register(stored, testPassword)
	e.deliver()
	r := rfRequest(e, typed, nil)
	if r.Status != http.StatusNoContent && r.Status != http.StatusBadRequest {
		t.Fatalf("reset request for %q = %d %s, want 204 (or 400 invalid)", typed, r.Status, r.Body)
	}
	e.deliver()
	for _, m := range e.inbox() {
		if m.To == typed {
			t.Errorf("a mail (%q) went to the typed address %q", m.Subject, typed)
		}
		if m.To != stored {
			t.Errorf("a mail (%q) went to %q, want none or only to the stored %q", m.Subject, m.To, stored)
		}
	}
}

func TestResetflowRefusedTokenRevealsNoAccount(t *testing.T) {
	// A used token must answer exactly like an unknown one, even with a
	// password that is too similar to the account's address: the similarity
	// rule is checked against no address when the token opens no account.
	e := newEnv(t)
	const email = "ada@example.com"
	e.register(email, testPassword)
	tok := e.resetToken(email)
	rfWantStatus(t, "complete", rfComplete(e, tok, rfNewPassword), http.StatusOK)

	const similar = "ada@example.com!"
	used := rfComplete(e, tok, similar)
	unknown := rfComplete(e, strings.Repeat("0", 64), similar)
	rfWantFieldCode(t, "complete with a used token", used, "password_reset_token", "invalid")
	if diff := cmp.Diff(string(unknown.Body), string(used.Body)); diff != "" {
		t.Errorf("complete bodies differ, unknown token (-) used token (+):\n%s", diff)
	}
}
