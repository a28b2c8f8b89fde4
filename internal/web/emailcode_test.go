package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/mail"
	"github.com/accountd/accountd/internal/twofactor"
)

// Email codes as a second factor (ACCOUNTD_EMAIL_2FA, docs/api.md#two-factor-authentication) and the
// "new sign-in" notice (ACCOUNTD_SIGNIN_NOTICE, docs/api.md#sessions) through the
// HTTP API, on SQLite, or PostgreSQL when ACCOUNTD_TEST_POSTGRES_URL is
// set. Codes are read from the mail the worker delivered to the
// development inbox.

const (
	ecSubject     = "Your sign-in code"
	noticeSubject = "New sign-in to your account"
	// ecFirefox and ecChrome are two browsers, so two devices from one IP.
	ecFirefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
	ecChrome  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// withEmail2FA sets the email policy and the notice, with devices keyed as
// main keys them.
func withEmail2FA(policy string, notice bool) func(*envOptions) {
	return func(o *envOptions) {
		o.Config.EmailTwoFactor = policy
		o.Config.SignInNotice = notice
		o.Config.DeviceBrowser = mail.BrowserFamily
	}
}

// ecLogin signs in from the browser ua and returns the token.
func ecLogin(e *env, email, ua string) string {
	e.t.Helper()
	b, _ := json.Marshal(obj{"email": email, "password": tfPassword, "recaptcha": "x"})
	r := e.request("POST", "/api/v2/login/", string(b),
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {ua}})
	if r.Status != 200 {
		e.t.Fatalf("login %s = %d %s, want 200", email, r.Status, r.Body)
	}
	return r.JSON(e.t)["token"].(string)
}

// ecRegister creates an account from the browser ua.
func ecRegister(e *env, email, ua string) string {
	e.t.Helper()
	b, _ := json.Marshal(obj{"email": email, "password": tfPassword, "tos_accepted": true, "recaptcha": "x"})
	r := e.request("POST", "/api/v2/register/", string(b),
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {ua}})
	if r.Status != 200 {
		e.t.Fatalf("register %s = %d %s, want 200", email, r.Status, r.Body)
	}
	return r.JSON(e.t)["token"].(string)
}

var ecCodePattern = regexp.MustCompile(`(?m)^  (\d{6})$`)

// ecCodes delivers the queue and returns the codes emailed to email, newest
// first, with their mails.
func ecCodes(e *env, email string) ([]string, []account.DevMail) {
	e.t.Helper()
	e.deliver()
	mails := sfMails(e, email, ecSubject)
	var codes []string
	for _, m := range mails {
		c := ecCodePattern.FindStringSubmatch(m.Text)
		if c == nil {
			e.t.Fatalf("code mail without a code:\n%s", m.Text)
		}
		codes = append(codes, c[1])
	}
	return codes, mails
}

// ecNewestCode is the newest code emailed to email, failing without one.
func ecNewestCode(e *env, email string) string {
	e.t.Helper()
	codes, _ := ecCodes(e, email)
	if len(codes) == 0 {
		e.t.Fatalf("no sign-in code was emailed to %s", email)
	}
	return codes[0]
}

// ecCodeAuth submits a code from the browser ua: the device that passes.
func ecCodeAuth(e *env, token, code, ua string) response {
	e.t.Helper()
	b, _ := json.Marshal(obj{"code": code, "recaptcha": "x"})
	return e.request("POST", "/api/v2/twofactorauth/codeauth/", string(b), http.Header{"Content-Type": {"application/json"},
		"User-Agent": {ua}, "Authorization": {"Token " + token}})
}

// ecResend asks for a new code and returns email_sent.
func ecResend(e *env, token string) bool {
	e.t.Helper()
	r := e.do("POST", "/api/v2/twofactorauth/email/resend/", nil, token)
	if r.Status != 200 {
		e.t.Fatalf("email/resend = %d %s, want 200", r.Status, r.Body)
	}
	sent, ok := r.JSON(e.t)["email_sent"].(bool)
	if !ok {
		e.t.Fatalf("email/resend = %s, want {\"email_sent\": bool}", r.Body)
	}
	return sent
}

// ecWrong is a six-digit code that is not code.
func ecWrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestEmailTwoFactorAlways(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, true))
	first := ecRegister(e, "ada@example.com", ecFirefox)
	if s := rfProfileStatus(e, first); s != 200 {
		t.Errorf("profile of the registering token = %d, want 200 (a new account is not challenged)", s)
	}
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	tfWantPending(t, e, "a sign-in under always", tok)
	if r := e.do("GET", "/api/v2/twofactorauth/method/current/", nil, tok); r.Status != 200 || r.JSON(t)["type"] != "email_code" {
		t.Errorf("current method with a pending token = %d %s, want 200 email_code", r.Status, r.Body)
	}
	codes, mails := ecCodes(e, "ada@example.com")
	if len(codes) != 1 {
		t.Fatalf("%d code mails after one sign-in, want 1", len(codes))
	}
	for _, want := range []string{"127.0.0.1", "Firefox 132 on Linux", "2026-11-27 13:58 UTC", "10 minutes"} {
		if !strings.Contains(mails[0].Text, want) {
			t.Errorf("code mail does not name %q:\n%s", want, mails[0].Text)
		}
	}
	if strings.Contains(mails[0].Subject, codes[0]) {
		t.Errorf("the code is in the subject %q, shown on locked screens", mails[0].Subject)
	}
	if n := len(sfMails(e, "ada@example.com", noticeSubject)); n != 0 {
		t.Errorf("%d new sign-in notices beside the code mail, want 0 (the code mail names the sign-in)", n)
	}
	if r := tfCodeAuth(e, tok, ecWrong(codes[0])); r.Status != 400 || r.Code(t, "code") != "invalid" {
		t.Errorf("a wrong email code = %d %s, want 400 code invalid", r.Status, r.Body)
	}
	if r := tfCodeAuth(e, tok, codes[0]); r.Status != 204 {
		t.Fatalf("the emailed code = %d %s, want 204", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, tok); s != 200 {
		t.Errorf("profile after the email code = %d, want 200", s)
	}

	// Single use and bound to its token: the spent code fails on the next
	// sign-in's token, whose own code works.
	next := ecLogin(e, "ada@example.com", ecFirefox)
	tfWantPending(t, e, "the next sign-in under always (a known device too)", next)
	if r := tfCodeAuth(e, next, codes[0]); r.Status != 400 {
		t.Errorf("the first token's code on the next token = %d %s, want 400", r.Status, r.Body)
	}
	if r := tfCodeAuth(e, next, ecNewestCode(e, "ada@example.com")); r.Status != 204 {
		t.Errorf("the next token's own code = %d %s, want 204", r.Status, r.Body)
	}
}

// TestEmailCodeBoundToToken: of two pending tokens, each one's code works
// on it alone.
func TestEmailCodeBoundToToken(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	a := ecLogin(e, "ada@example.com", ecFirefox)
	codeA := ecNewestCode(e, "ada@example.com")
	b := ecLogin(e, "ada@example.com", ecFirefox)
	codeB := ecNewestCode(e, "ada@example.com")
	if codeA == codeB {
		t.Skip("the two codes drawn are equal (one chance in a million)")
	}
	if r := tfCodeAuth(e, b, codeA); r.Status != 400 {
		t.Errorf("token A's code on token B = %d %s, want 400", r.Status, r.Body)
	}
	if r := tfCodeAuth(e, a, codeA); r.Status != 204 {
		t.Errorf("token A's code on token A = %d %s, want 204", r.Status, r.Body)
	}
	tfWantPending(t, e, "token B after token A passed", b)
}

func TestEmailTwoFactorNewDevice(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorNewDevice, false))
	e.register("ada@example.com", tfPassword)
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	tfWantPending(t, e, "a device that never passed 2FA", tok)
	if r := ecCodeAuth(e, tok, ecNewestCode(e, "ada@example.com"), ecFirefox); r.Status != 204 {
		t.Fatalf("the emailed code = %d %s, want 204", r.Status, r.Body)
	}
	// A newer version of the same browser on the same network is the
	// same device.
	newer := strings.ReplaceAll(ecFirefox, "132.0", "133.0")
	if s := rfProfileStatus(e, ecLogin(e, "ada@example.com", newer)); s != 200 {
		t.Errorf("profile of a sign-in from the device that passed = %d, want 200", s)
	}
	before := len(sfMails(e, "ada@example.com", ecSubject))
	other := ecLogin(e, "ada@example.com", ecChrome)
	tfWantPending(t, e, "another browser", other)
	if codes, _ := ecCodes(e, "ada@example.com"); len(codes) != before+1 {
		t.Errorf("%d code mails after a sign-in from another browser, want %d", len(codes), before+1)
	}

	// 90 days later the pass has lapsed.
	e.Clock.Advance(91 * 24 * time.Hour)
	tfWantPending(t, e, "the device that passed, 91 days later", ecLogin(e, "ada@example.com", ecFirefox))
}

// TestEmailTwoFactorLinksNotChallenged: under always, the tokens of reset
// complete and activation complete are verified (the link proved the
// mailbox), and their device then counts as passed for new_device.
func TestEmailTwoFactorLinksNotChallenged(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	activation := sfActivationToken(t, e, "ada@example.com")
	r := sfCompleteActivation(e, activation, "")
	if r.Status != 200 {
		t.Fatalf("activation complete = %d %s", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, r.JSON(t)["token"].(string)); s != 200 {
		t.Errorf("profile of the activation token under always = %d, want 200", s)
	}
	r = rfComplete(e, e.resetToken("ada@example.com"), "another long password 42")
	if r.Status != 200 {
		t.Fatalf("reset complete = %d %s", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, r.JSON(t)["token"].(string)); s != 200 {
		t.Errorf("profile of the reset token under always = %d, want 200", s)
	}
	if codes, _ := ecCodes(e, "ada@example.com"); len(codes) != 0 {
		t.Errorf("%d code mails for link sign-ins, want 0", len(codes))
	}
	r = e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": "another long password 42", "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Fatalf("login = %d %s", r.Status, r.Body)
	}
	tfWantPending(t, e, "a password sign-in from the same device under always", r.JSON(t)["token"].(string))
}

// TestEmailTwoFactorLinkPassesDevice: under new_device, a reset link
// followed from a device makes it known: its next sign-in is not asked.
func TestEmailTwoFactorLinkPassesDevice(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorNewDevice, false))
	e.register("ada@example.com", tfPassword)
	if r := rfComplete(e, e.resetToken("ada@example.com"), tfPassword+"!"); r.Status != 200 {
		t.Fatalf("reset complete = %d %s", r.Status, r.Body)
	}
	r := e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": tfPassword + "!", "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Fatalf("login = %d %s", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, r.JSON(t)["token"].(string)); s != 200 {
		t.Errorf("profile of a sign-in from the device that followed the reset link = %d, want 200", s)
	}
}

func TestEmailCodeResend(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	verified := e.register("ada@example.com", tfPassword)
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	first := ecNewestCode(e, "ada@example.com")
	if ecResend(e, tok) {
		t.Error("a resend right after the sign-in's code sent one, want email_sent false inside 60 s")
	}
	e.Clock.Advance(61 * time.Second)
	if !ecResend(e, tok) {
		t.Fatal("a resend 61 s after the last code sent nothing")
	}
	second := ecNewestCode(e, "ada@example.com")
	if n := len(sfMails(e, "ada@example.com", ecSubject)); n != 2 {
		t.Errorf("%d code mails, want 2", n)
	}
	if first != second {
		if r := tfCodeAuth(e, tok, first); r.Status != 400 {
			t.Errorf("the code voided by the resend = %d %s, want 400", r.Status, r.Body)
		}
	}
	if r := tfCodeAuth(e, tok, second); r.Status != 204 {
		t.Errorf("the resent code = %d %s, want 204", r.Status, r.Body)
	}
	before := len(sfMails(e, "ada@example.com", ecSubject))
	e.Clock.Advance(61 * time.Second)
	if ecResend(e, verified) || ecResend(e, tok) {
		t.Error("a resend for a verified token sent a code, want email_sent false")
	}
	if n := len(sfMails(e, "ada@example.com", ecSubject)); n != before {
		t.Errorf("%d code mails after resends for verified tokens, want %d", n, before)
	}
}

// TestEmailCodeResendDailyCap: at most 10 resent codes a day per account,
// whatever the token.
func TestEmailCodeResendDailyCap(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	toks := []string{ecLogin(e, "ada@example.com", ecFirefox), ecLogin(e, "ada@example.com", ecFirefox)}
	for i := range 10 {
		e.Clock.Advance(61 * time.Second)
		if !ecResend(e, toks[i%2]) {
			t.Fatalf("resend %d of 10 sent nothing", i+1)
		}
	}
	e.Clock.Advance(61 * time.Second)
	if ecResend(e, toks[0]) || ecResend(e, toks[1]) {
		t.Error("an 11th resend in a day sent a code, want email_sent false")
	}
	if codes, _ := ecCodes(e, "ada@example.com"); len(codes) != 12 {
		t.Errorf("%d code mails, want 12 (2 sign-ins, 10 resends)", len(codes))
	}
	if r := tfCodeAuth(e, toks[1], ecNewestCode(e, "ada@example.com")); r.Status != 204 {
		t.Errorf("the newest code after the cap = %d %s, want 204", r.Status, r.Body)
	}
}

// TestEmailCodeWrongRevokesToken: 5 wrong email codes revoke the pending
// token (then 401), and count in the account's budget.
func TestEmailCodeWrongRevokesToken(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	code := ecNewestCode(e, "ada@example.com")
	for i := range 5 {
		if r := tfCodeAuth(e, tok, ecWrong(code)); r.Status != 400 {
			t.Fatalf("wrong code %d = %d %s, want 400", i+1, r.Status, r.Body)
		}
	}
	if r := tfCodeAuth(e, tok, code); r.Status != 401 {
		t.Errorf("the right code after 5 wrong ones = %d %s, want 401 (token revoked)", r.Status, r.Body)
	}
	// The account waits now, whatever the token.
	next := ecLogin(e, "ada@example.com", ecFirefox)
	r := tfCodeAuth(e, next, ecNewestCode(e, "ada@example.com"))
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("the right code on a new token after 5 failures = %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
	if got := sfMails(e, "ada@example.com", "Wrong two-factor codes were entered for your account"); len(got) != 1 {
		t.Errorf("%d notices of wrong codes after 5, want 1", len(got))
	}
}

// TestEmailCodeExpires: a code 10 minutes old is refused, right or not.
func TestEmailCodeExpires(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	code := ecNewestCode(e, "ada@example.com")
	e.Clock.Advance(10 * time.Minute)
	if r := tfCodeAuth(e, tok, code); r.Status != 400 || r.Code(t, "code") != "invalid" {
		t.Errorf("a code 10 minutes old = %d %s, want 400 code invalid", r.Status, r.Body)
	}
	if !ecResend(e, tok) {
		t.Fatal("resend after the code expired sent nothing")
	}
	if r := tfCodeAuth(e, tok, ecNewestCode(e, "ada@example.com")); r.Status != 204 {
		t.Errorf("a fresh code = %d %s, want 204", r.Status, r.Body)
	}
}

// TestEmailCodeAfterLeavingTOTP: tokens left pending by a TOTP activation
// can pass with an email code once the account is back on email_code,
// even with the policy off.
func TestEmailCodeAfterLeavingTOTP(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", tfPassword)
	other := e.login("ada@example.com", tfPassword)
	enrolTOTP(e, ada)
	if r := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "email_code"}, ada); r.Status != 200 {
		t.Fatalf("back to email_code = %d %s", r.Status, r.Body)
	}
	tfWantPending(t, e, "a token pended by the TOTP activation", other)
	if !ecResend(e, other) {
		t.Fatal("resend for a pending token on email_code sent nothing")
	}
	if r := tfCodeAuth(e, other, ecNewestCode(e, "ada@example.com")); r.Status != 204 {
		t.Errorf("the emailed code = %d %s, want 204", r.Status, r.Body)
	}
}

// TestRecoveryCodesEndWithTOTP: going back to email_code voids the TOTP
// enrolment's recovery codes, so an old one does not pass the emailed-code
// challenge; the emailed code does.
func TestRecoveryCodesEndWithTOTP(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	ada := ecRegister(e, "ada@example.com", "curl/8")
	totp := enrolTOTP(e, ada)
	if r := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "email_code"}, ada); r.Status != 200 {
		t.Fatalf("back to email_code = %d %s", r.Status, r.Body)
	}
	r := newAdminAPI(e, adminToken).call("GET", fmt.Sprintf("/admin/v1/users/%d/", e.userID("ada@example.com")), "")
	if left := r.JSON(t)["recovery_codes_left"]; r.Status != 200 || left != float64(0) {
		t.Errorf("recovery_codes_left after leaving TOTP = %v (%d %s), want 0", left, r.Status, r.Body)
	}
	tok := ecLogin(e, "ada@example.com", "curl/8")
	tfWantPending(t, e, "an email-code sign-in", tok)
	wantStatus(t, "an old recovery code on email_code", tfCodeAuth(e, tok, totp.recovery[0]), 400, "")
	tfWantPending(t, e, "after the old recovery code", tok)
	if r := tfCodeAuth(e, tok, ecNewestCode(e, "ada@example.com")); r.Status != 204 {
		t.Errorf("the emailed code = %d %s, want 204", r.Status, r.Body)
	}
}

// TestRecoveryCodeOnlyWithTOTP: recovery codes stand in for a TOTP code
// only; codes left on an email_code account (as a database from before
// they were voided with TOTP holds) pass no challenge.
func TestRecoveryCodeOnlyWithTOTP(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorAlways, false))
	ecRegister(e, "ada@example.com", "curl/8")
	shown, hashes := twofactor.NewRecoveryCodes()
	if err := e.Store.ReplaceRecoveryCodes(context.Background(), e.userID("ada@example.com"), hashes, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	tok := ecLogin(e, "ada@example.com", "curl/8")
	wantStatus(t, "a recovery code on email_code", tfCodeAuth(e, tok, shown[0]), 400, "")
	tfWantPending(t, e, "after the recovery code", tok)
}

func TestSignInNotice(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorOff, true))
	ecRegister(e, "ada@example.com", ecFirefox)
	notices := func() []account.DevMail {
		e.deliver()
		return sfMails(e, "ada@example.com", noticeSubject)
	}
	ecLogin(e, "ada@example.com", ecFirefox)
	if n := len(notices()); n != 0 {
		t.Errorf("%d notices for the first sign-in after register from its device, want 0", n)
	}
	ecLogin(e, "ada@example.com", ecChrome)
	got := notices()
	if len(got) != 1 {
		t.Fatalf("%d notices after a sign-in from a new browser, want 1", len(got))
	}
	for _, want := range []string{"127.0.0.1", "Chrome 131 on Windows", "2026-11-27 13:58 UTC", "/resetpassword/"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("notice does not name %q:\n%s", want, got[0].Text)
		}
	}
	ecLogin(e, "ada@example.com", ecChrome)
	r := e.do("POST", "/api/v2/register/", obj{"email": "ada@example.com", "password": tfPassword,
		"tos_accepted": true, "recaptcha": "x"}, "") // the Go client: a third device, by register
	if r.Status != 200 {
		t.Fatalf("register of the existing account = %d %s", r.Status, r.Body)
	}
	if n := len(notices()); n != 2 {
		t.Errorf("%d notices after a known browser and a register from a new one, want 2", n)
	}
	e.Clock.Advance(91 * 24 * time.Hour)
	ecLogin(e, "ada@example.com", ecFirefox)
	if n := len(notices()); n != 3 {
		t.Errorf("%d notices after the first browser returned 91 days later, want 3", n)
	}
}

func TestSignInNoticeOff(t *testing.T) {
	e := newEnv(t, withEmail2FA(account.EmailTwoFactorOff, false))
	ecRegister(e, "ada@example.com", ecFirefox)
	ecLogin(e, "ada@example.com", ecChrome)
	e.deliver()
	if n := len(sfMails(e, "ada@example.com", noticeSubject)); n != 0 {
		t.Errorf("%d notices with ACCOUNTD_SIGNIN_NOTICE off, want 0", n)
	}
}

// TestActivationWrongCodesNotCounted: wrong codes when activating TOTP are
// audited but not counted in the account's wrong-code budget (the caller
// is already verified; docs/api.md).
func TestActivationWrongCodesNotCounted(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", tfPassword)
	r := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "device_totp"}, ada)
	if r.Status != 200 {
		t.Fatalf("POST method/ = %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"]
	for range 6 {
		r := e.do("POST", "/api/v2/twofactorauth/method/"+jsonNumber(id)+"/activate/",
			obj{"code_1": "000000", "code_2": "000001"}, ada)
		if r.Status != 400 {
			t.Fatalf("activate with wrong codes = %d %s, want 400", r.Status, r.Body)
		}
	}
	events, err := e.Store.Events(t.Context(), account.EventFilter{EmailKey: "ada@example.com", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Type == "2fa_activation_failed" {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d 2fa_activation_failed events, want 6", n)
	}
	tf := enrolTOTP(e, ada)
	tok := e.login("ada@example.com", tfPassword)
	if r := tfCodeAuth(e, tok, tfCode(e, tf.secret)); r.Status != 204 {
		t.Errorf("a right code after 6 wrong activation attempts = %d %s, want 204 (no wait)", r.Status, r.Body)
	}
}

// jsonNumber formats an id decoded from JSON.
func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestEmailCodeNotInDatabase: a copy of the database, taken while the code
// mail is queued, while it is being sent and after, holds the emailed code
// neither raw nor as a bare SHA-256 (a million tries reverse that); only
// the keyed HMAC bound to the token.
func TestEmailCodeNotInDatabase(t *testing.T) {
	store, db := msOpenRawStore(t)
	sender := &msSnapshotSender{t: t, db: db}
	e := newEnv(t, func(o *envOptions) { o.Store, o.Sender = store, sender }, withEmail2FA(account.EmailTwoFactorAlways, false))
	e.register("ada@example.com", tfPassword)
	tok := ecLogin(e, "ada@example.com", ecFirefox)
	copies := map[string]string{"queued": db.dump(t)}
	e.deliver()
	copies["sent"] = db.dump(t)
	for i, s := range sender.snaps {
		copies["sending mail "+string(rune('1'+i))] = s
	}
	var code string
	for _, text := range sender.texts {
		if m := ecCodePattern.FindStringSubmatch(text); m != nil {
			code = m[1]
		}
	}
	if code == "" {
		t.Fatalf("no code was emailed:\n%s", strings.Join(sender.texts, "\n---\n"))
	}
	if p, ok := db.(msPostgresColumns); ok {
		copies["bytea columns"] = tfByteaDump(t, p.conn)
	}
	sum := sha256.Sum256([]byte(code))
	for name, copy := range copies {
		if name != "bytea columns" && strings.Contains(copy, code) ||
			name == "bytea columns" && strings.Contains(copy, hex.EncodeToString([]byte(code))) {
			t.Errorf("the database (%s) holds the raw email code", name)
		}
		if strings.Contains(copy, string(sum[:])) || strings.Contains(strings.ToLower(copy), hex.EncodeToString(sum[:])) {
			t.Errorf("the database (%s) holds the SHA-256 of the email code", name)
		}
	}
	if r := tfCodeAuth(e, tok, code); r.Status != 204 {
		t.Errorf("the emailed code = %d %s, want 204", r.Status, r.Body)
	}
}
