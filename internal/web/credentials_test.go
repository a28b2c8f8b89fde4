package web_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/accountd/accountd/internal/account"
)

var activationLink = regexp.MustCompile(`/activation/([0-9a-f]{64})/confirm/`)

// TestPasswordResetEndsActivationLinks: an activation link mints a login
// token, so a reset must end it like every other older credential.
func TestPasswordResetEndsActivationLinks(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	e.deliver()
	var link []string
	for _, m := range e.allMail() {
		if m.Subject == activationSubject {
			link = activationLink.FindStringSubmatch(m.Text)
		}
	}
	if link == nil {
		t.Fatal("registration sent no activation email with a link")
	}
	e.Clock.Advance(time.Minute) // a reset comes after the registration
	tok := e.resetToken("ada@example.com")
	if r := e.do("POST", "/api/v2/resetpassword/complete/", obj{"password": "Battery-Staple-5501", "password_reset_token": tok}, ""); r.Status != 200 {
		t.Fatalf("complete = %d %s", r.Status, r.Body)
	}
	r := e.do("POST", "/api/v2/activation/complete/", obj{"activation_token": link[1]}, "")
	if r.Status != 400 || r.Code(t, "activation_token") != "invalid" {
		t.Errorf("activation with a link from before the reset = %d %s, want 400 activation_token/invalid", r.Status, r.Body)
	}
}

// TestSentMailKeepsNoSecret: once sent, no outbox row holds a reset token,
// an activation token or a change-of-address code.
func TestSentMailKeepsNoSecret(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	e.resetToken("ada@example.com")
	if r := e.do("POST", "/api/v2/changeemail/", obj{"password": testPassword, "new_email": "ada@example.org"}, tok); r.Status != 204 {
		t.Fatalf("change email = %d %s", r.Status, r.Body)
	}
	e.deliver()
	secret := regexp.MustCompile(`[0-9a-f]{64}`)
	mails, err := e.Store.Mails(t.Context(), account.MailSent, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) < 4 {
		t.Fatalf("%d mails sent, want activation, reset, confirmation and notice", len(mails))
	}
	for _, m := range mails {
		for k, v := range m.Data {
			if secret.MatchString(v) || strings.Contains(v, "/confirm/") {
				t.Errorf("sent %s mail %d still holds %s = %q", m.Kind, m.ID, k, v)
			}
		}
	}
}

// TestAPIAnswersAreNotStored: answers carry tokens and personal data, so no
// cache may keep them, and accountd sets no cookie.
func TestAPIAnswersAreNotStored(t *testing.T) {
	e := newEnv(t)
	answers := []response{
		e.do("POST", "/api/v2/register/", obj{"email": "ada@example.com", "password": testPassword, "tos_accepted": true}, ""),
		e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": testPassword}, ""),
		e.do("POST", "/api/v2/login/", obj{"email": "ada@example.com", "password": "wrong"}, ""),
		e.do("GET", "/api/v2/profile/", nil, ""),
	}
	for i, r := range answers {
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("answer %d (%d): Cache-Control = %q, want no-store", i, r.Status, got)
		}
		if c := r.Header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("answer %d sets cookies %v", i, c)
		}
	}
}

// TestTokenPagesKeepTheTokenOutOfTheLog: the access log names the route
// pattern, never the path that holds a reset token.
func TestTokenPagesKeepTheTokenOutOfTheLog(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	tok := e.resetToken("ada@example.com")
	for _, p := range []string{"/resetpassword/" + tok + "/confirm/", "/resetpassword/" + tok + "/cancel/"} {
		if r := e.request("GET", p, "", nil); r.Status != 200 {
			t.Fatalf("GET %s = %d", p, r.Status)
		}
	}
	if strings.Contains(e.Logs.String(), tok) {
		t.Error("the log contains the reset token")
	}
}

// TestAPIKeyPatchWithoutLabel: PATCH is a partial update, as in DRF.
func TestAPIKeyPatchWithoutLabel(t *testing.T) {
	e := newEnv(t)
	tok := e.register("ada@example.com", testPassword)
	r := e.do("POST", "/api/v2/apikey/", obj{"label": "ci"}, tok)
	if r.Status != 201 {
		t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	id := int(r.JSON(t)["id"].(float64))
	p := e.do("PATCH", "/api/v2/apikey/"+strconv.Itoa(id)+"/", obj{}, tok)
	if p.Status != 200 || p.JSON(t)["label"] != "ci" {
		t.Errorf("PATCH without a label = %d %s, want 200 with the label unchanged", p.Status, p.Body)
	}
}

// TestImportedHashIsUpgradedOnLogin: a bcrypt hash (an imported user) is
// accepted and replaced by argon2id on the next login (docs/api.md#password-rules).
func TestImportedHashIsUpgradedOnLogin(t *testing.T) {
	e := newEnv(t)
	e.register("ada@example.com", testPassword)
	u, err := e.Store.UserByEmailKey(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	imported, err := bcrypt.GenerateFromPassword([]byte("Imported-Pass-4242"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.RehashPassword(t.Context(), u.ID, string(imported)); err != nil {
		t.Fatal(err)
	}
	e.login("ada@example.com", "Imported-Pass-4242")
	u, err = e.Store.UserByEmailKey(t.Context(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("after a login the stored hash is %.10q…, want argon2id", u.PasswordHash)
	}
	e.login("ada@example.com", "Imported-Pass-4242") // and it still opens the account
}
