package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/accountd/accountd/internal/smtptest"
)

// TestEmailTwoFactorOverSMTP drives the real program with
// ACCOUNTD_EMAIL_2FA=always: a sign-in is pending until the code read from
// a real SMTP server is given; the code keyed by ACCOUNTD_SECRET_KEY works,
// and the log never holds it.
func TestEmailTwoFactorOverSMTP(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{})
	app := startServe(t, map[string]string{"ACCOUNTD_SMTP_URL": srv.URL(""), "ACCOUNTD_MAIL_FROM": "noreply@example.com",
		"ACCOUNTD_EMAIL_2FA": "always"})
	const email, pw = "ada@example.com", "Correct-Horse-7391"
	app.token("POST", "/api/v2/register/", map[string]any{"email": email, "password": pw, "tos_accepted": true})
	tok := app.token("POST", "/api/v2/login/", map[string]any{"email": email, "password": pw})
	if a := app.call("GET", "/api/v2/profile/", tok, nil); a.status != 403 || a.body["code"] != "2fa_needed" {
		t.Fatalf("profile of a sign-in under always = %d %s, want 403 2fa_needed", a.status, a.raw)
	}
	p := smtptest.Parse(t, nextMail(t, srv).Data)
	if p.Header.Get("Subject") != "Your sign-in code" {
		t.Fatalf("the mail after the sign-in is %q, want the sign-in code", p.Header.Get("Subject"))
	}
	m := regexp.MustCompile(`(?m)^  (\d{6})\r?$`).FindStringSubmatch(p.Parts["text/plain"])
	if m == nil || !strings.Contains(p.Parts["text/html"], m[1]) {
		t.Fatalf("code mail without the code in both parts:\n%s", p.Parts["text/plain"])
	}
	if a := app.call("POST", "/api/v2/twofactorauth/codeauth/", tok, map[string]any{"code": m[1]}); a.status != 204 {
		t.Fatalf("codeauth with the emailed code = %d %s, want 204", a.status, a.raw)
	}
	if a := app.call("GET", "/api/v2/profile/", tok, nil); a.status != 200 {
		t.Errorf("profile after the code = %d %s, want 200", a.status, a.raw)
	}
	if err := app.shutdown(); err != nil {
		t.Fatal(err)
	}
	// The code as a number of its own: not the fraction of a timestamp or
	// a duration, which may hold the same six digits by chance.
	if regexp.MustCompile(`(^|[^0-9.])` + m[1] + `([^0-9]|$)`).MatchString(app.log.String()) {
		t.Errorf("the log holds the email code %s", m[1])
	}
}
