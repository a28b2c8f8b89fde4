package web_test

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountd/accountd/internal/twofactor"
)

// Two-factor authentication through the HTTP API (docs/api.md#two-factor-authentication), on SQLite,
// or PostgreSQL when ACCOUNTD_TEST_POSTGRES_URL is set. Codes are computed
// from the secret the API showed, at the harness's clock.

const tfPassword = testPassword

// tfTOTP is an account with TOTP active.
type tfTOTP struct {
	secret   []byte
	recovery []string
}

// tfCode is the TOTP code of the clock's current step.
func tfCode(e *env, secret []byte) string {
	return twofactor.CodeAt(secret, twofactor.StepAt(e.Clock.Now()))
}

// enrolTOTP creates and activates a device_totp method with the verified
// token, checking the answers' shapes, and moves the clock to the next
// step, so that a code of the current step is not an activation code.
func enrolTOTP(e *env, token string) tfTOTP {
	e.t.Helper()
	r := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "device_totp"}, token)
	if r.Status != 200 {
		e.t.Fatalf("POST method/ device_totp = %d %s, want 200", r.Status, r.Body)
	}
	m := r.JSON(e.t)
	key, _ := m["secret_key"].(string)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil || len(secret) != 20 || key != strings.ToUpper(key) {
		e.t.Fatalf("secret_key = %q, want 20 bytes in unpadded upper-case base32", key)
	}
	if m["active"] != false || !strings.HasPrefix(fmt.Sprint(m["otpauth_url"]), "otpauth://totp/") {
		e.t.Fatalf("new method = %s, want inactive with an otpauth_url", r.Body)
	}
	step := twofactor.StepAt(e.Clock.Now())
	r = e.do("POST", fmt.Sprintf("/api/v2/twofactorauth/method/%v/activate/", m["id"]),
		obj{"code_1": twofactor.CodeAt(secret, step-1), "code_2": twofactor.CodeAt(secret, step)}, token)
	if r.Status != 200 {
		e.t.Fatalf("activate = %d %s, want 200", r.Status, r.Body)
	}
	a := r.JSON(e.t)
	if a["active"] != true || a["type"] != "device_totp" || a["secret_key"] != nil {
		e.t.Errorf("activated method = %s, want active device_totp without secret_key", r.Body)
	}
	raw, _ := a["recovery_codes"].([]any)
	var codes []string
	for _, c := range raw {
		codes = append(codes, c.(string))
	}
	if len(codes) != 10 {
		e.t.Fatalf("recovery_codes = %v, want 10", a["recovery_codes"])
	}
	e.Clock.Advance(30 * time.Second)
	e.deliver() // the "turned on" notice, so that tests count their own mail
	return tfTOTP{secret, codes}
}

// tfCodeAuth submits a code with the token.
func tfCodeAuth(e *env, token, code string) response {
	e.t.Helper()
	return e.do("POST", "/api/v2/twofactorauth/codeauth/", obj{"code": code, "recaptcha": "x"}, token)
}

// tfWantPending checks that the token gets 403 2fa_needed on the profile.
func tfWantPending(t *testing.T, e *env, what, token string) {
	t.Helper()
	r := e.do("GET", "/api/v2/profile/", nil, token)
	if r.Status != 403 || r.Code(t, "") != "2fa_needed" ||
		r.JSON(t)["detail"] != "Two factor authentication is needed." {
		t.Errorf("%s: profile = %d %s, want 403 2fa_needed", what, r.Status, r.Body)
	}
}

func TestTwoFactorSignInFlow(t *testing.T) {
	e := newEnv(t)
	first := e.register("ada@example.com", tfPassword)
	if r := e.do("GET", "/api/v2/twofactorauth/method/current/", nil, first); r.Status != 200 ||
		r.JSON(t)["type"] != "email_code" || r.JSON(t)["active"] != true || r.JSON(t)["id"] != float64(0) {
		t.Errorf("current method before TOTP = %d %s, want the implicit email_code, id 0, active", r.Status, r.Body)
	}
	other := e.login("ada@example.com", tfPassword)
	tf := enrolTOTP(e, first)
	if rfProfileStatus(e, first) != 200 {
		t.Error("the token that activated TOTP lost its access")
	}
	tfWantPending(t, e, "another token after activation", other)

	tok := e.login("ada@example.com", tfPassword)
	tfWantPending(t, e, "a new sign-in", tok)
	if r := e.do("GET", "/api/v2/twofactorauth/method/current/", nil, tok); r.Status != 200 || r.JSON(t)["type"] != "device_totp" {
		t.Errorf("current method with a pending token = %d %s, want 200 device_totp", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v2/sessions/", nil, tok); r.Status != 403 {
		t.Errorf("sessions with a pending token = %d, want 403", r.Status)
	}
	if r := tfCodeAuth(e, tok, "000000"); r.Status != 400 || r.Code(t, "code") != "invalid" {
		t.Errorf("a wrong code = %d %s, want 400 code invalid", r.Status, r.Body)
	}
	code := tfCode(e, tf.secret)
	if r := tfCodeAuth(e, tok, code); r.Status != 204 {
		t.Fatalf("the right code = %d %s, want 204", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, tok); s != 200 {
		t.Errorf("profile after codeauth (the replayed request) = %d, want 200", s)
	}
	again := e.login("ada@example.com", tfPassword)
	if r := tfCodeAuth(e, again, code); r.Status != 400 {
		t.Errorf("the same code on another token (replay) = %d %s, want 400", r.Status, r.Body)
	}
	tfWantPending(t, e, "the token that replayed", again)

	// A recovery code works once, in any of its typings.
	if r := tfCodeAuth(e, again, strings.ToLower(tf.recovery[0])); r.Status != 204 {
		t.Errorf("a recovery code = %d %s, want 204", r.Status, r.Body)
	}
	next := e.login("ada@example.com", tfPassword)
	if r := tfCodeAuth(e, next, tf.recovery[0]); r.Status != 400 {
		t.Errorf("a used recovery code = %d %s, want 400", r.Status, r.Body)
	}
	// A new set voids the old one.
	r := e.do("POST", "/api/v2/twofactorauth/recoverycodes/", nil, tok)
	if r.Status != 200 || len(r.JSON(t)["recovery_codes"].([]any)) != 10 {
		t.Fatalf("recoverycodes = %d %s, want 200 and 10 codes", r.Status, r.Body)
	}
	if r := tfCodeAuth(e, next, tf.recovery[1]); r.Status != 400 {
		t.Errorf("a code of the voided set = %d %s, want 400", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v2/twofactorauth/email/resend/", nil, next); r.Status != 400 ||
		r.Code(t, "non_field_errors") != "invalid" {
		t.Errorf("email resend on a TOTP account = %d %s, want 400 non_field_errors invalid", r.Status, r.Body)
	}
	// Logout works for a pending token.
	if r := e.do("POST", "/api/v2/logout/", nil, next); r.Status != 200 && r.Status != 204 {
		t.Errorf("logout with a pending token = %d %s", r.Status, r.Body)
	}
	// Back to email_code: new sign-ins are not challenged.
	if r := e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "email_code"}, tok); r.Status != 200 ||
		r.JSON(t)["type"] != "email_code" || r.JSON(t)["active"] != true {
		t.Errorf("POST method/ email_code = %d %s, want 200 active email_code", r.Status, r.Body)
	}
	if s := rfProfileStatus(e, e.login("ada@example.com", tfPassword)); s != 200 {
		t.Errorf("profile of a sign-in after leaving TOTP = %d, want 200", s)
	}
}

// TestTwoFactorNoBypass: every path that mints a login token gives a
// pending one on a TOTP account (docs/api.md#two-factor-authentication: reset and activation prove the
// mailbox, never the device).
func TestTwoFactorNoBypass(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", tfPassword)
	activation := sfActivationToken(t, e, "ada@example.com")
	enrolTOTP(e, ada)

	r := e.do("POST", "/api/v2/register/", obj{"email": "ada@example.com", "password": tfPassword,
		"tos_accepted": true, "recaptcha": "x"}, "")
	if r.Status != 200 {
		t.Fatalf("register of the existing account = %d %s", r.Status, r.Body)
	}
	tfWantPending(t, e, "register of an existing account", r.JSON(t)["token"].(string))

	r = sfCompleteActivation(e, activation, "")
	if r.Status != 200 {
		t.Fatalf("activation complete = %d %s", r.Status, r.Body)
	}
	tfWantPending(t, e, "activation complete", r.JSON(t)["token"].(string))

	r = rfComplete(e, e.resetToken("ada@example.com"), "another long password 42")
	if r.Status != 200 {
		t.Fatalf("reset complete = %d %s", r.Status, r.Body)
	}
	tfWantPending(t, e, "reset complete", r.JSON(t)["token"].(string))
}

// TestTwoFactorConcurrentCodeOneWins: two submissions of one code, released
// together on two pending tokens: exactly one is accepted.
func TestTwoFactorConcurrentCodeOneWins(t *testing.T) {
	e := newEnv(t)
	tf := enrolTOTP(e, e.register("ada@example.com", tfPassword))
	toks := []string{e.login("ada@example.com", tfPassword), e.login("ada@example.com", tfPassword)}
	code := tfCode(e, tf.secret)
	statuses := make([]int, len(toks))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, tok := range toks {
		wg.Go(func() {
			<-start
			statuses[i] = tfCodeAuth(e, tok, code).Status
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, s := range statuses {
		if s == 204 {
			wins++
		} else if s != 400 {
			t.Errorf("a concurrent codeauth = %d, want 204 or 400", s)
		}
	}
	if wins != 1 {
		t.Errorf("two concurrent codeauth with one code: %v, want exactly one 204", statuses)
	}
}

// TestTwoFactorWrongCodeBudget: 5 wrong codes revoke a token; per account,
// failures from many tokens and IPs add up to a wait in which even the
// right code is 429, and a success starts afresh.
func TestTwoFactorWrongCodeBudget(t *testing.T) {
	e := newEnv(t, withLimits(nil), func(o *envOptions) { o.Web.Limiter = nil })
	tf := enrolTOTP(e, e.register("ada@example.com", tfPassword))
	tok := e.login("ada@example.com", tfPassword)
	for i := range 5 {
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Token " + tok},
			"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
		if r := e.request("POST", "/api/v2/twofactorauth/codeauth/", `{"code":"000000","recaptcha":"x"}`, h); r.Status != 400 {
			t.Fatalf("wrong code %d = %d %s, want 400", i+1, r.Status, r.Body)
		}
	}
	if r := tfCodeAuth(e, tok, tfCode(e, tf.secret)); r.Status != 401 {
		t.Errorf("the right code after 5 wrong ones on the token = %d %s, want 401 (revoked)", r.Status, r.Body)
	}
	// The account's 5 failures: a fresh token waits 1 s, right code or not.
	fresh := e.login("ada@example.com", tfPassword)
	r := tfCodeAuth(e, fresh, tfCode(e, tf.secret))
	if r.Status != 429 || r.Header.Get("Retry-After") != "1" {
		t.Errorf("the right code inside the account's wait = %d Retry-After %q, want 429 and 1", r.Status, r.Header.Get("Retry-After"))
	}
	e.Clock.Advance(time.Second)
	if r := tfCodeAuth(e, fresh, "111111"); r.Status != 400 {
		t.Errorf("a wrong code after the wait = %d, want 400", r.Status)
	}
	if r := tfCodeAuth(e, fresh, tfCode(e, tf.secret)); r.Status != 429 || r.Header.Get("Retry-After") != "2" {
		t.Errorf("after the 6th failure = %d Retry-After %q, want 429 and 2", r.Status, r.Header.Get("Retry-After"))
	}
	e.Clock.Advance(2 * time.Second)
	if r := tfCodeAuth(e, fresh, tfCode(e, tf.secret)); r.Status != 204 {
		t.Fatalf("the right code after the wait = %d %s, want 204", r.Status, r.Body)
	}
	e.Clock.Advance(30 * time.Second)
	other := e.login("ada@example.com", tfPassword)
	if r := tfCodeAuth(e, other, "222222"); r.Status != 400 {
		t.Errorf("one wrong code after a success = %d, want 400 (the count started afresh)", r.Status)
	}
	if r := tfCodeAuth(e, other, tfCode(e, tf.secret)); r.Status != 204 {
		t.Errorf("the right code after one failure = %d %s, want 204", r.Status, r.Body)
	}
}

// TestTwoFactorAPIKeys: an API key is never challenged, and the
// /twofactorauth/ routes refuse it.
func TestTwoFactorAPIKeys(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", tfPassword)
	r := e.do("POST", "/api/v2/apikey/", obj{"label": "script"}, ada)
	if r.Status != 201 {
		t.Fatalf("create API key = %d %s", r.Status, r.Body)
	}
	key := r.JSON(t)["key"].(string)
	enrolTOTP(e, ada)
	if s := rfProfileStatus(e, key); s != 200 {
		t.Errorf("profile with an API key on a TOTP account = %d, want 200", s)
	}
	for _, c := range []struct{ method, path string }{{"GET", "method/current/"}, {"POST", "method/"},
		{"POST", "method/1/activate/"}, {"POST", "codeauth/"}, {"POST", "email/resend/"}, {"POST", "recoverycodes/"}} {
		r := e.do(c.method, "/api/v2/twofactorauth/"+c.path, obj{"type": "email_code", "code": "123456", "recaptcha": "x"}, key)
		if r.Status != 403 || r.Code(t, "") != "api_key_not_allowed" {
			t.Errorf("%s %s with an API key = %d %s, want 403 api_key_not_allowed", c.method, c.path, r.Status, r.Body)
		}
	}
}

// TestTwoFactorSecretsNotInDatabase: a copy of the database holds neither
// the TOTP secret nor a recovery code in usable form.
func TestTwoFactorSecretsNotInDatabase(t *testing.T) {
	store, db := msOpenRawStore(t)
	e := newEnv(t, func(o *envOptions) { o.Store = store })
	tf := enrolTOTP(e, e.register("ada@example.com", tfPassword))
	tfCodeAuth(e, e.login("ada@example.com", tfPassword), tf.recovery[0])
	dump := db.dump(t)
	if p, ok := db.(msPostgresColumns); ok {
		dump += tfByteaDump(t, p.conn)
	}
	lower := strings.ToLower(dump)
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(tf.secret)
	for what, v := range map[string]string{"the secret": string(tf.secret), "the secret in hex": hex.EncodeToString(tf.secret),
		"the secret in base32": strings.ToLower(key)} {
		if strings.Contains(dump, v) || strings.Contains(lower, v) {
			t.Errorf("the database holds %s", what)
		}
	}
	for _, c := range tf.recovery {
		for _, v := range []string{c, strings.ReplaceAll(c, "-", "")} {
			if strings.Contains(lower, strings.ToLower(v)) {
				t.Errorf("the database holds the recovery code %s", c)
			}
		}
	}
}

// tfByteaDump is every bytea column of the test's schema in hex.
func tfByteaDump(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'bytea'`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Table, Column string }])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cols {
		var v *string
		q := "SELECT string_agg(encode(" + pgx.Identifier{c.Column}.Sanitize() + ", 'hex'), ' ') FROM " + pgx.Identifier{c.Table}.Sanitize()
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if v != nil {
			b.WriteString(*v + "\n")
		}
	}
	return b.String()
}

// TestTwoFactorOperatorReset: `accountd user 2fa-reset` (a lost device)
// signs every session out and brings the account back to email_code, with
// an audit event.
func TestTwoFactorOperatorReset(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", tfPassword)
	enrolTOTP(e, ada)
	pending := e.login("ada@example.com", tfPassword)
	if err := e.Svc.ResetTwoFactor(context.Background(), "ADA@example.com"); err != nil {
		t.Fatal(err)
	}
	for what, tok := range map[string]string{"the verified token": ada, "the pending token": pending} {
		if s := rfProfileStatus(e, tok); s != 401 {
			t.Errorf("%s after the operator's reset = %d, want 401", what, s)
		}
	}
	if s := rfProfileStatus(e, e.login("ada@example.com", tfPassword)); s != 200 {
		t.Errorf("a sign-in after the operator's reset = %d, want 200 (no TOTP)", s)
	}
	if n := len(rfEvents(e, "2fa_reset_by_operator")); n != 1 {
		t.Errorf("%d 2fa_reset_by_operator events, want 1", n)
	}
	if err := e.Svc.ResetTwoFactor(context.Background(), "nobody@example.com"); err == nil {
		t.Error("ResetTwoFactor of an unknown address = nil, want not found")
	}
}

// TestTwoFactorNotices: turning TOTP on and off, using a recovery code, 5
// wrong codes and the operator's reset each email the account.
func TestTwoFactorNotices(t *testing.T) {
	e := newEnv(t, withLimits(nil), func(o *envOptions) { o.Web.Limiter = nil })
	ada := e.register("ada@example.com", tfPassword)
	tf := enrolTOTP(e, ada)
	tfCodeAuth(e, e.login("ada@example.com", tfPassword), tf.recovery[0])
	for i := range 5 {
		tfCodeAuth(e, e.login("ada@example.com", tfPassword), fmt.Sprintf("00000%d", i))
	}
	e.do("POST", "/api/v2/twofactorauth/method/", obj{"type": "email_code"}, ada)
	if err := e.Svc.ResetTwoFactor(context.Background(), "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	for subject, text := range map[string]string{
		"Two-factor authentication was turned on":              "turned on",
		"A recovery code was used to sign in":                  "Recovery codes left: 9.",
		"Wrong two-factor codes were entered for your account": "then 5 wrong two-factor codes",
		"Two-factor authentication was turned off":             "turned off",
		"Two-factor authentication was reset":                  "An administrator reset",
	} {
		mails := rfMails(e, "ada@example.com", subject)
		if len(mails) != 1 || !strings.Contains(mails[0].Text, text) {
			t.Errorf("%d mails %q, want 1 saying %q", len(mails), subject, text)
		}
	}
}
